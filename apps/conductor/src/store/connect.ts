import { join } from 'node:path';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import { redactDeep } from '../command/index.js';
import { CONDUCTOR_ROOT } from '../conductor-root.js';
import { CcrError } from '../errors.js';

pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export const STORE_MIGRATIONS_DIR = join(CONDUCTOR_ROOT, 'migrations');

/** The store lives in the database `ccr` on the app's PostgreSQL server unless told otherwise. */
export function storeUrlFor(appDatabaseUrl: string, database = 'ccr'): string {
  const u = new URL(appDatabaseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new CcrError('store_failed', `store database name "${name}" must be letters, digits and _`);
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created concurrently by another ccr
    });
  } catch (err) {
    throw new CcrError('store_failed', `cannot reach the ccr store's server at ${u.host}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end().catch(() => undefined);
  }
}

const WRITES = /^\s*(INSERT|UPDATE)\b/i;

/**
 * Every value the store writes passes the known-secrets redaction (command/known-secrets.ts):
 * evidence, audit details, step data and delivery errors are written by many modules, and a
 * secret that slipped into any of them must still never reach the disk. Reads are untouched.
 */
function redactWrites(pool: pg.Pool): pg.Pool {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && WRITES.test(text) && Array.isArray(values)) return query(text, redactDeep(values), ...rest);
    return query(text, values, ...rest);
  };
  return pool;
}

/** Opens (creating and migrating if needed) the conductor's store. */
export async function openStorePool(url: string): Promise<pg.Pool> {
  const pool = redactWrites(new pg.Pool({ connectionString: url, max: 5, application_name: 'ccr', connectionTimeoutMillis: 5000 }));
  pool.on('error', () => undefined);
  const migrator = new Migrator({ databaseUrl: url, dir: STORE_MIGRATIONS_DIR });
  // Every ccr command opens the store, `ccr rollback` included, so the usual case (the store
  // exists and is migrated) costs one query; creating or migrating it takes the locked path.
  if (await migrator.isCurrent(pool)) return pool;
  try {
    await ensureDatabase(url);
    await migrator.up();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return pool;
}
