import { after, before } from 'node:test';
import { openStorePool } from '../../src/store/index.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

// Each conductor test file gets its own database on the machine's PostgreSQL.
export const ADMIN_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function urlFor(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function scratchDatabase(prefix = 'ccr_t'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: urlFor(name),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A migrated ccr store on its own scratch database, opened before the suite's tests and
 * dropped after them. Call it inside a describe(); read `.store` inside tests.
 */
export function useScratchStore(): { readonly store: pg.Pool } {
  let db: Awaited<ReturnType<typeof scratchDatabase>> | null = null;
  let pool: pg.Pool | null = null;
  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });
  return {
    get store() {
      if (!pool) throw new Error('the scratch store is opened in before(); use it inside a test');
      return pool;
    },
  };
}
