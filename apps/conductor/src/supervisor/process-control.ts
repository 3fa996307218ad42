import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Managed processes run in their own session (detached) with output appended to a log file,
// never to a pipe: they must outlive the process that started them, so a restarted
// supervisor can adopt them and a dead pipe cannot kill them with EPIPE.

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) still answers kill(0).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The command line of a live pid (Linux), used to tell a re-used pid from ours. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

export interface SpawnedProcess {
  pid: number;
  /** Resolves with the exit code (or signal) when this process started it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Lets this process exit while the child keeps running. */
  unref(): void;
}

/** `inheritFds` become the child's fds 3, 4, … (listening sockets a supervisor holds). */
export function spawnDetached(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string; uid?: number; gid?: number; inheritFds?: number[] }): SpawnedProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a', 0o600);
  try {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd, ...(opts.inheritFds ?? [])], ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}) });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    // Not unref'd: a foreground supervisor should notice exits; detach() below lets go.
    return { pid: child.pid, exited, unref: () => child.unref() };
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // The negative pid reaches the whole session's process group, children included.
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/**
 * SIGTERM (the app drains and exits), then SIGKILL after graceMs. Resolves once the pid is
 * gone; returns how it ended.
 */
export async function terminate(pid: number, graceMs: number, signal: NodeJS.Signals = 'SIGTERM', opts: { leaderOnly?: boolean } = {}): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'not-running';
  // PostgreSQL wants the signal on the postmaster only; it tells its own children.
  if (opts.leaderOnly) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  } else signalGroup(pid, signal);
  if (await waitForExit(pid, graceMs)) {
    signalGroup(pid, 'SIGKILL'); // stragglers in the group
    return 'terminated';
  }
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
  return 'killed';
}
