import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetError } from './errors.js';

// Process helpers of the bed. Every long-lived process is started detached, with its output
// in a log file and no pipe back to us: a fleet must outlive the process that made it (the CLI's
// `up`), and a pipe would tie the child's life to ours.

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A process identity that survives pid reuse: the pid plus its start time in clock ticks. */
export interface ProcRef {
  pid: number;
  start: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the command exits non-zero. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion, collecting its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined); // a command that exits before reading its input
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FleetError('command_failed', `cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res = { code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      const what = `${cmd} ${args.join(' ')}`.slice(0, 300);
      if (timedOut) return reject(new FleetError('timeout', `${what}: no exit within ${opts.timeoutMs ?? 30_000} ms\n${res.stderr.slice(-1500)}`));
      if (res.code !== 0 && !opts.allowFailure) {
        return reject(new FleetError('command_failed', `${what}: exited ${code ?? signal}\n${(res.stderr || res.stdout).slice(-1500)}`));
      }
      resolve(res);
    });
  });
}

/** Synchronous run for teardown paths (exit handlers cannot wait for promises). */
export function runSync(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): ExecResult {
  const r = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 15_000 });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? r.error.message : '') };
}

/** Starts a long-lived process detached from us, its stdout and stderr appended to logFile. */
export function startDetached(cmd: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    child.on('error', () => undefined); // reported by the readiness check that follows
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** The start time of a process (field 22 of /proc/PID/stat), or null when it is gone or a zombie. */
export function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function procRef(pid: number | undefined): ProcRef {
  const start = pid ? procStart(pid) : null;
  if (!pid || start === null) throw new FleetError('setup_failed', `process ${pid ?? '(none)'} exited right after it started (see the fleet's logs)`);
  return { pid, start };
}

/** True while the very process of ref runs (not a later process that reused its pid). */
export function isAlive(ref: ProcRef): boolean {
  return procStart(ref.pid) === ref.start;
}

/** Pids of processes whose command line contains needle (ssh masters that carry the fleet's paths). */
export function pidsWithCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Polls check until it returns a value other than undefined, or fails with what after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new FleetError('timeout', `${what} within ${timeoutMs} ms${why}`, { cause: last });
    }
    await sleep(intervalMs);
  }
}

/** Opens a TCP connection and resolves with the time it took, or null if it failed or timed out. */
export function tcpConnect(host: string, port: number, timeoutMs = 1_000): Promise<number | null> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect({ host, port });
    const done = (v: number | null) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.once('connect', () => done(performance.now() - t0));
    sock.once('error', () => done(null));
  });
}
