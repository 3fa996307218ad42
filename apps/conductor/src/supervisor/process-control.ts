import { readFileSync } from 'node:fs';
import { launch } from '../command/index.js';

// Managed processes run in their own session (detached) with output appended to a log file,
// never to a pipe: they must outlive the process that started them, so a restarted
// supervisor can adopt them and a dead pipe cannot kill them with EPIPE.

export { isAlive, terminate, waitForExit } from '../command/index.js';

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
  // Not unref'd: a foreground supervisor should notice exits; unref() lets go.
  return launch(
    { argv: [command, ...args], cwd: opts.cwd, env: opts.env, inheritEnv: false },
    { output: { appendTo: opts.logFile }, user: opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : undefined, inheritFds: opts.inheritFds },
  );
}
