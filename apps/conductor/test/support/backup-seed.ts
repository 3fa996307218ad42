import { fileURLToPath } from 'node:url';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import { openStorePool } from '../../src/store/index.js';
import { scratchDatabase } from './scratch-db.js';

// An app database with the API's real migrations (the public migration files) and a ledger
// seeded in one INSERT ... SELECT generate_series, plus a ccr store of its own.

export const API_MIGRATIONS = fileURLToPath(new URL('../../../api/migrations', import.meta.url));

export async function seededAppDatabase(ledgerRows: number): Promise<{ url: string; drop(): Promise<void> }> {
  const db = await scratchDatabase('ccr_bk');
  await new Migrator({ databaseUrl: db.url, dir: API_MIGRATIONS }).up();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(`INSERT INTO users (nickname, password_hash, balance) SELECT 'user_' || g, 'x', 1000 FROM generate_series(1, 100) g`);
    await c.query(
      `INSERT INTO ledger_entries (user_id, kind, amount, balance_after, ref_id)
       SELECT u.ids[1 + g % 100], 'bet', -1 - (g % 50), 1000, 'seed-' || g
         FROM generate_series(1, $1::int) g, (SELECT array_agg(id ORDER BY nickname) AS ids FROM users) u`,
      [ledgerRows],
    );
  } finally {
    await c.end();
  }
  return db;
}

export async function scratchStore(): Promise<{ pool: pg.Pool; drop(): Promise<void> }> {
  const db = await scratchDatabase('ccr_bks');
  const pool = await openStorePool(db.url);
  return {
    pool,
    async drop() {
      await pool.end();
      await db.drop();
    },
  };
}
