import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CcrError } from '../errors.js';

// pg_dump / pg_restore / psql from CCR_PG_BIN (a folder) or PATH. A pg_dump older than the
// server cannot dump it, so the major versions are compared before anything starts.

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

export function findTool(tool: PgTool): string {
  const dirs = [process.env['CCR_PG_BIN'], ...(process.env['PATH'] ?? '').split(delimiter)].filter((d): d is string => Boolean(d));
  for (const d of dirs) {
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  throw new CcrError('backup_failed', `${tool} not found on PATH${process.env['CCR_PG_BIN'] ? ` or in CCR_PG_BIN (${process.env['CCR_PG_BIN']})` : ''}: install the PostgreSQL client tools (Debian: apt-get install postgresql-client), or set CCR_PG_BIN to their folder`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; only the tail of stderr is kept. The URL goes in argv without its password (PGPASSWORD). */
export function runTool(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; onStdout?: (chunk: Buffer) => void } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (opts.onStdout) opts.onStdout(d);
      else stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    child.on('error', (err) => reject(new CcrError('backup_failed', `cannot run ${bin}: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function readMajor(bin: string): Promise<{ major: number; text: string }> {
  const r = await runTool(bin, ['--version']);
  const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new CcrError('backup_failed', `cannot read the version of ${bin}: ${r.stderr.trim() || r.stdout.trim()}`);
  return { major: Number(m[1]), text: r.stdout.trim() };
}

// On Debian the tools are pg_wrapper, a Perl script: each --version costs a Perl start
// (~40 ms, far more on a loaded host). A version cannot change while its file stays the same,
// so it is read once per process and file; a replaced file (new mtime or size) is read again,
// and a failure is not kept.
const majors = new Map<string, Promise<{ major: number; text: string }>>();

export async function toolMajor(bin: string): Promise<{ major: number; text: string }> {
  let key = bin;
  try {
    const st = await stat(bin);
    key = `${bin}\0${st.mtimeMs}\0${st.size}`;
  } catch {
    // Unreadable: let the spawn report it, uncached.
    return readMajor(bin);
  }
  let p = majors.get(key);
  if (!p) {
    p = readMajor(bin);
    majors.set(key, p);
    p.catch(() => majors.delete(key));
  }
  return p;
}

/** Connection settings for the tools: the URL without the password, which goes in PGPASSWORD. */
export function toolConnection(url: string): { dbArg: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbArg: u.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/** Maps the tools' stderr to the clear error the issue asks for. */
export function explainToolFailure(tool: string, stderr: string): string {
  const text = stderr.trim().split('\n').slice(-6).join('\n');
  if (/permission denied/i.test(text)) {
    return `${tool}: permission denied. The role needs SELECT on every table (and CREATEDB for verification): ${text}`;
  }
  if (/server version mismatch|aborting because of server version/i.test(text)) {
    return `${tool} is older than the server: ${text}`;
  }
  if (/No space left on device/i.test(text)) return `${tool}: the disk is full: ${text}`;
  return `${tool} failed: ${text}`;
}

/** Database name of a URL, checked to be a plain identifier (it is quoted into DDL). */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(name)) throw new CcrError('usage', `database name "${name}" must be letters, digits and _`);
  return name;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
