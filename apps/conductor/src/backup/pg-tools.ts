import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { run, type Command } from '../command/index.js';
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

/** How the tools reach a database: the URL without its password (which goes in PGPASSWORD, and is redacted). */
export interface ToolConnection {
  dbArg: string;
  env: Record<string, string>;
  redact: string[];
}

/** A PostgreSQL client tool as a command; with a connection, its password is in the environment and redacted everywhere. */
export function toolCommand(bin: string, args: string[], conn?: ToolConnection): Command {
  return { argv: [bin, ...args], ...(conn ? { env: conn.env, redact: conn.redact } : {}) };
}

async function readMajor(bin: string): Promise<{ major: number; text: string }> {
  const r = await run(toolCommand(bin, ['--version']));
  const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new CcrError('backup_failed', `cannot read the version of ${bin}: ${r.stderr.trim() || r.stdout.trim()}`);
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

export function toolConnection(url: string): ToolConnection {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbArg: u.toString(), env: password ? { PGPASSWORD: password } : {}, redact: password ? [password] : [] };
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
