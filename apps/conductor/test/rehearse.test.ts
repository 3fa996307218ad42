import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadMigrationFiles } from '@cc/pg-migrate';
import pg from 'pg';
import { createBackup, verifyBackup } from '../src/backup/index.js';
import { rehearse, type OldVersionSmoke, type RehearseInput } from '../src/schema/rehearse.js';
import { API_MIGRATIONS, scratchStore, seededAppDatabase } from './support/backup-seed.js';
import { ADMIN_URL } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The API's real migrations plus one new migration of the release being rehearsed, numbered
// after the API's last one (which grows with the API).
const NEXT = loadMigrationFiles(API_MIGRATIONS).at(-1)!.version + 1;
const next = (name: string) => `${String(NEXT).padStart(4, '0')}_${name}`;
function releaseMigrations(name: string, up: string): string {
  const dir = tempDir('ccr-rehearse-');
  cpSync(API_MIGRATIONS, dir, { recursive: true });
  writeFileSync(join(dir, `${next(name)}.up.sql`), up);
  writeFileSync(join(dir, `${next(name)}.down.sql`), '-- cc:irreversible\n');
  return dir;
}

// What the previous version does on every play: an INSERT naming only the columns it knows.
async function oldVersionWrites(url: string): Promise<OldVersionSmoke> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`INSERT INTO ledger_entries (user_id, kind, amount, balance_after) SELECT id, 'bet', -1, 10 FROM users LIMIT 1`);
    return { ok: true, version: 'v-old', failed: [], detail: 'insert ok' };
  } catch (err) {
    return { ok: false, version: 'v-old', failed: ['ledger-insert'], detail: (err as Error).message };
  } finally {
    await c.end();
  }
}

describe('migration rehearsal on a restored backup', () => {
  let app: Awaited<ReturnType<typeof seededAppDatabase>>;
  let store: Awaited<ReturnType<typeof scratchStore>>;
  let base: Omit<RehearseInput, 'migrationsDir'>;

  before(async () => {
    [app, store] = await Promise.all([seededAppDatabase(2000), scratchStore()]);
    const b = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir: tempDir('ccr-rh-bk-') });
    const v = await verifyBackup({ store: store.pool, id: b.id, serverUrl: app.url, config: { jobs: 1, sanityQueries: [] } });
    assert.equal(v.status, 'verified');
    base = { store: store.pool, env: 'test', serverUrl: app.url, lockTimeoutMs: 300, statementTimeoutMs: 30_000, retries: 1, jobs: 1 };
  });
  after(async () => {
    await store?.drop();
    await app?.drop();
  });

  test('catches a migration that hits lock_timeout while another connection holds a lock in a long transaction', async () => {
    let holder: pg.Client | null = null;
    let scratch = '';
    try {
      const r = await rehearse({
        ...base,
        migrationsDir: releaseMigrations('ledger_note', 'ALTER TABLE ledger_entries ADD COLUMN note text;\n'),
        async beforeMigrate(url) {
          holder = new pg.Client({ connectionString: url });
          holder.on('error', () => undefined); // the scratch drop ends this session
          await holder.connect();
          await holder.query('BEGIN');
          await holder.query('SELECT count(*) FROM ledger_entries'); // ACCESS SHARE until the transaction ends
        },
      });
      assert.equal(r.ok, false);
      assert.equal(r.failure?.code, 'migration_lock_timeout');
      assert.equal(r.failure?.migration, next('ledger_note'));
      assert.match(r.failure?.message ?? '', /lock_timeout \(300 ms\) after 2 attempt\(s\)/);
      assert.deepEqual(r.migrations, []);
      scratch = r.scratch;
    } finally {
      await (holder as pg.Client | null)?.end().catch(() => undefined);
    }
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    const left = await c.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [scratch]);
    await c.end();
    assert.match(scratch, /^ccr_rehearse_[0-9a-f]+$/);
    assert.equal(left.rows[0].n, 0, 'scratch database dropped');
  });

  test('times each migration; the old version still writes on an expand-only schema', async () => {
    const r = await rehearse({ ...base, migrationsDir: releaseMigrations('ledger_note', 'ALTER TABLE ledger_entries ADD COLUMN note text;\n'), oldVersionSmoke: oldVersionWrites });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.deepEqual(r.migrations.map((m) => [m.version, m.name, m.attempts]), [[NEXT, 'ledger_note', 1]]);
    assert.ok(r.migrations[0]!.durationMs >= 0);
    assert.equal(r.expandContract, 'compatible');
  });

  test('a contract change the old version cannot live with makes the release incompatible with canary', async () => {
    const r = await rehearse({ ...base, migrationsDir: releaseMigrations('ledger_source', `ALTER TABLE ledger_entries ADD COLUMN source text NOT NULL DEFAULT 'legacy';\nALTER TABLE ledger_entries ALTER COLUMN source DROP DEFAULT;\n`), oldVersionSmoke: oldVersionWrites });
    assert.equal(r.failure, null);
    assert.equal(r.expandContract, 'incompatible');
    assert.equal(r.ok, false);
    assert.match(r.smoke?.detail ?? '', /null value in column "source"/);
  });
});
