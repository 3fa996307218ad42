import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Migrator } from '@cc/pg-migrate';
import { defaultMigrationsDir } from '../../src/paths.js';

// Each test file gets its own database on the machine's PostgreSQL, so files run in parallel.
export const ADMIN_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(opts: { migrate?: boolean; prefix?: string } = {}): Promise<TestDatabase> {
  const name = `${opts.prefix ?? 'cc_t'}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = dbUrl(name);
  if (opts.migrate !== false) {
    await new Migrator({ databaseUrl: url, dir: defaultMigrationsDir() }).up();
  }
  return {
    name,
    url,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
