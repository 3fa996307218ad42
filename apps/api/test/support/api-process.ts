import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_JWT_SECRET } from './test-app.js';

// The real process (`npm run start:api`'s entry point), spawned as the supervisor would.

const ROOT = new URL('../../../../', import.meta.url).pathname;
// node --import tsx, not the tsx CLI: the CLI relays SIGTERM and SIGKILLs the child if it does
// not acknowledge within 30 ms, which a loaded machine turns into a spurious exit 143.
const NODE_ARGS = ['--import', 'tsx'];

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface StartApiOptions {
  /** Modules to `--import` before the entry point (test-only hooks). */
  preload?: string[];
}

export async function startApi(env: Record<string, string>, opts: StartApiOptions = {}): Promise<ApiProcess> {
  const preload = (opts.preload ?? []).flatMap((p) => ['--import', p]);
  const child = spawn(process.execPath, [...NODE_ARGS, ...preload, `${ROOT}apps/api/src/bin/start-api.ts`], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', APP_ENV: 'development', JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let partial = '';
    // 60 s: the suite runs test files in parallel on 2 cores. On timeout the process is killed,
    // never left running for the next run to trip over.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`API did not start within 60 s:\n${stderr}`));
    }, 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      partial += c.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry['msg'] === 'cc-api listening') {
            clearTimeout(timer);
            resolve(String(entry['url']));
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`API exited with ${code} before listening:\n${stderr}`));
    });
  });
  return { child, url, logs, stderr: () => stderr, exited };
}

export async function waitFor(pred: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
