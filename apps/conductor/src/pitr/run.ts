import { spawn } from 'node:child_process';
import { CcrError } from '../errors.js';

// The one place PITR starts processes (pgbackrest, pg_ctl), so moving to the conductor's
// shared command module later is one file. Programs run as the owner of the data directory:
// PostgreSQL refuses to run as root, and pgBackRest must write files the server's own
// archive-push (which runs as that owner) can read.

export interface RunAs {
  uid: number;
  gid: number;
  /** For messages: the user name, or `uid N`. */
  name: string;
}

export interface RunOptions {
  /** Run as this user (ccr is root and the data directory is someone else's); null = as ourselves. */
  as: RunAs | null;
  /** Each line of stdout and stderr as it arrives (progress). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kill the process (SIGTERM, then SIGKILL 5 s later) after this long. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  /** The last 16 kB of stderr. */
  stderr: string;
  timedOut: boolean;
}

function lineSplitter(emit: (line: string) => void): { push(d: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(d) {
      const text = rest + d.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) emit(l);
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

export function run(bin: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // cwd '/': the owner may not be allowed into ours (root's home is 0700). Messages in
    // English so the tools' output can be explained.
    const child = spawn(bin, args, {
      cwd: '/',
      env: { ...process.env, LC_MESSAGES: 'C', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(o.as ? { uid: o.as.uid, gid: o.as.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const out = lineSplitter((l) => o.onLine?.(l, 'stdout'));
    const err = lineSplitter((l) => o.onLine?.(l, 'stderr'));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-16_000);
      err.push(d);
    });
    let kill: NodeJS.Timeout | undefined;
    const timer = o.timeoutMs
      ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      }, o.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      clearTimeout(timer);
      clearTimeout(kill);
      reject(new CcrError('pitr_failed', `cannot run ${bin}${o.as ? ` as ${o.as.name}` : ''}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(kill);
      out.end();
      err.end();
      resolve({ code: code ?? 1, stdout, stderr, timedOut });
    });
  });
}
