import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { MigrationError } from '../src/errors.js';
import { loadMigrationFiles } from '@cc/pg-migrate';
import { Migrator } from '@cc/pg-migrate';
import { defaultMigrationsDir } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './support/test-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

const run = promisify(execFile);

async function schemaDump(url: string): Promise<string> {
  const { stdout } = await run('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', url], { maxBuffer: 20 * 1024 * 1024 });
  // pg_dump prints a random restrict key on newer clients; it is not part of the schema.
  return stdout.replace(/^\\(un)?restrict .*$/gm, '');
}

describe('migrations', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  after(async () => db.drop());

  test('every migration is reversible: up, down to zero, up again gives the same schema', async () => {
    const m = new Migrator({ databaseUrl: db.url, dir: defaultMigrationsDir() });
    const files = loadMigrationFiles(defaultMigrationsDir());
    const applied = await m.up();
    assert.equal(applied.length, files.length);
    const first = await schemaDump(db.url);
    assert.match(first, /CREATE TABLE public\.ledger_entries/);

    const reverted = await m.down(files.length);
    assert.equal(reverted.length, files.length);
    const empty = new pg.Client({ connectionString: db.url });
    await empty.connect();
    const tables = await empty.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`);
    await empty.end();
    assert.deepEqual(tables.rows, [], 'down to zero leaves no tables behind');

    await m.up();
    assert.equal(await schemaDump(db.url), first);
    assert.equal(await m.schemaVersion(), files.at(-1)!.version);
  });

  test('status lists applied migrations with their sha256', async () => {
    const s = await new Migrator({ databaseUrl: db.url, dir: defaultMigrationsDir() }).status();
    assert.ok(s.length >= 5);
    assert.ok(s.every((x) => x.state === 'applied' && /^[0-9a-f]{64}$/.test(x.sha256)));
  });

  test('refuses to run when an applied file changed', async () => {
    const dir = tempDir('cc-mig-');
    cpSync(defaultMigrationsDir(), dir, { recursive: true });
    writeFileSync(join(dir, '0001_users_and_invites.up.sql'), '-- edited after it ran\nSELECT 1;\n');
    const m = new Migrator({ databaseUrl: db.url, dir });
    await assert.rejects(m.up(), (err: unknown) => err instanceof MigrationError && err.code === 'migration_changed' && /0001_users_and_invites/.test(err.message));
  });

  test('a no-transaction migration can CREATE INDEX CONCURRENTLY, and down reverts it', async () => {
    const dir = tempDir('cc-mig-');
    cpSync(defaultMigrationsDir(), dir, { recursive: true });
    writeFileSync(join(dir, '0900_plays_game_idx.up.sql'), '-- cc:no-transaction\nCREATE INDEX CONCURRENTLY plays_game_idx ON plays (game);\n');
    writeFileSync(join(dir, '0900_plays_game_idx.down.sql'), '-- cc:no-transaction\nDROP INDEX CONCURRENTLY plays_game_idx;\n');
    const m = new Migrator({ databaseUrl: db.url, dir });
    const steps = await m.up();
    assert.deepEqual(steps.map((s) => s.version), [900]);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const idx = await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'plays_game_idx'::regclass`);
    assert.equal(idx.rows[0].indisvalid, true);
    await m.down(1);
    const gone = await c.query(`SELECT to_regclass('plays_game_idx') AS r`);
    assert.equal(gone.rows[0].r, null);
    await c.end();
  });

  test('lock_timeout stops a migration blocked by a long transaction, and retries are counted', async () => {
    const dir = tempDir('cc-mig-');
    cpSync(defaultMigrationsDir(), dir, { recursive: true });
    writeFileSync(join(dir, '0901_users_extra.up.sql'), 'ALTER TABLE users ADD COLUMN extra text;\n');
    writeFileSync(join(dir, '0901_users_extra.down.sql'), 'ALTER TABLE users DROP COLUMN extra;\n');
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE users IN ACCESS SHARE MODE');
    const m = new Migrator({ databaseUrl: db.url, dir, lockTimeoutMs: 200, lockRetries: 1 });
    await assert.rejects(m.up(), (err: unknown) => err instanceof MigrationError && err.code === 'migration_lock_timeout' && /after 2 attempt/.test(err.message));
    await holder.query('ROLLBACK');
    await holder.end();
    assert.deepEqual((await m.up()).map((s) => s.version), [901]);
    await m.down(1);
  });

  test('two runners never apply the same migration twice (advisory lock)', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const a = new Migrator({ databaseUrl: fresh.url, dir: defaultMigrationsDir() });
      const b = new Migrator({ databaseUrl: fresh.url, dir: defaultMigrationsDir() });
      const [ra, rb] = await Promise.all([a.up(), b.up()]);
      assert.equal(ra.length + rb.length, loadMigrationFiles(defaultMigrationsDir()).length);
    } finally {
      await fresh.drop();
    }
  });

  test('a migration file without its down file is rejected with its name', () => {
    const dir = tempDir('cc-mig-');
    writeFileSync(join(dir, '0001_only_up.up.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrationFiles(dir), /0001_only_up has no \.down\.sql/);
  });
});
