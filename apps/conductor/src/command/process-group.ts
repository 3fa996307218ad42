import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// Every command runs in its own session and process group, so stopping it reaches whatever it
// started too (a shell's children, npm's scripts): the negative pid signals the whole group.

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
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

/** True while the group has a member (kill 0 on the negative pid). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/**
 * Stops a process by pid, also one this process did not start (an adopted instance): the
 * signal (SIGTERM: drain and exit), then SIGKILL after graceMs. Resolves once the pid is gone.
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
