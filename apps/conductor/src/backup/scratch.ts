import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { run } from '../command/index.js';
import { CcrError } from '../errors.js';
import { explainToolFailure, findTool, toolCommand, toolConnection, withDatabase } from './pg-tools.js';

// A scratch database on the same server as the source, for verification and rehearsal.
// Always dropped afterwards (WITH FORCE, so a leftover session cannot keep it alive).

export interface Scratch {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl, application_name: 'ccr-scratch', connectionTimeoutMillis: 10_000 });
  await c.connect();
  c.on('error', () => undefined);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function createScratch(serverUrl: string, prefix: string): Promise<Scratch> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  // template0, as pg_restore's documentation advises: objects someone added to template1 would
  // collide with the dump's own and fail or skew the verification
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`)).catch((err: { code?: string; message: string }) => {
    const perm = err.code === '42501';
    throw new CcrError('backup_failed', `${perm ? 'permission denied: the role needs CREATEDB to restore into a scratch database' : 'cannot create a scratch database'}: ${err.message}`, { cause: err });
  });
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** pg_restore of a custom-format dump, stopping at the first error; -j restores tables and indexes in parallel. */
export async function pgRestore(file: string, url: string, opts: { jobs: number; noOwner?: boolean; extra?: string[] }): Promise<void> {
  const conn = toolConnection(url);
  const args = ['--exit-on-error', '--no-password', `--jobs=${opts.jobs}`, `--dbname=${conn.dbArg}`, ...(opts.noOwner ? ['--no-owner', '--no-privileges'] : []), ...(opts.extra ?? []), file];
  const r = await run(toolCommand(findTool('pg_restore'), args, conn));
  if (r.exitCode !== 0) throw new CcrError('backup_failed', explainToolFailure('pg_restore', r.stderr));
}
