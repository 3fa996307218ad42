// Shared plumbing for the router benches: child processes that announce themselves with a
// JSON line, free ports, and autocannon runs reduced to the figures we report.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export interface Child {
  proc: ChildProcess;
  /** First stdout JSON line matching the predicate. */
  line: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Spawns a process and waits for a JSON stdout line accepted by `ready`. */
export function spawnReady(
  cmd: string,
  args: string[],
  ready: (line: Record<string, unknown>) => boolean,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 20_000,
): Promise<Child> {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${cmd} ${args.join(' ')} not ready in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready: ${stderr}`));
    });
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (ready(line)) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({ proc, line, stop });
      }
    });
  });
}

/** `node --import tsx file` so TS children start without a build. */
export function tsxArgs(file: string, args: string[] = []): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', file, ...args]];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LoadResult {
  rps: number;
  p99: number;
  p50: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function load(url: string, durationS: number, connections = 50): Promise<LoadResult> {
  const r = await autocannon({ url, connections, duration: durationS, pipelining: 1 });
  return {
    rps: Math.round(r.requests.average),
    p99: r.latency.p99,
    p50: r.latency.p50,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** User+system CPU seconds a process has used so far (Linux /proc), or NaN elsewhere. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
