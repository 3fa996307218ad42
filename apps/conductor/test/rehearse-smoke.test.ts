import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import { loadArtifact, type Artifact } from '../src/artifacts/store.js';
import { createBackup, verifyBackup } from '../src/backup/index.js';
import { artifactSmoke } from '../src/schema/old-version-smoke.js';
import { rehearse } from '../src/schema/rehearse.js';
import { scratchRepo, sharedArtifact, tempDir } from './artifacts-fixture.js';
import { scratchStore } from './support/backup-seed.js';
import { scratchDatabase } from './support/scratch-db.js';

// The expand/contract check for real: the previous release's own artifact starts on the
// migrated scratch copy and the built-in smoke suite runs against it.

describe('rehearsal: the old version\'s smoke tests on the migrated schema', () => {
  let old: Artifact;
  let app: Awaited<ReturnType<typeof scratchDatabase>>;
  let store: Awaited<ReturnType<typeof scratchStore>>;

  before(async () => {
    const built = await sharedArtifact(scratchRepo(tempDir('ccr-rh-repo-')));
    old = loadArtifact(join(built.dir, '..'), built.version);
    [app, store] = await Promise.all([scratchDatabase('ccr_rhs'), scratchStore()]);
    await new Migrator({ databaseUrl: app.url, dir: join(old.dir, old.manifest.migrationsDir) }).up();
    const b = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir: tempDir('ccr-rhs-bk-') });
    assert.equal((await verifyBackup({ store: store.pool, id: b.id, serverUrl: app.url, config: { jobs: 1, sanityQueries: [] } })).status, 'verified');
  });
  after(async () => {
    await store?.drop();
    await app?.drop();
  });

  function withMigration(name: string, up: string): string {
    const dir = tempDir('ccr-rhs-');
    cpSync(join(old.dir, old.manifest.migrationsDir), dir, { recursive: true });
    writeFileSync(join(dir, `${name}.up.sql`), up);
    writeFileSync(join(dir, `${name}.down.sql`), '-- cc:irreversible\n');
    return dir;
  }

  const run = (dir: string) => rehearse({ store: store.pool, env: 'test', serverUrl: app.url, migrationsDir: dir, lockTimeoutMs: 2000, statementTimeoutMs: 60_000, retries: 0, jobs: 1, oldVersionSmoke: artifactSmoke(old) });

  test('an expand-only migration: the old version passes, compatible with canary', async () => {
    const r = await run(withMigration('0100_ledger_note', 'ALTER TABLE ledger_entries ADD COLUMN note text;\n'));
    assert.equal(r.failure, null);
    assert.equal(r.smoke?.ok, true, r.smoke?.detail);
    assert.equal(r.expandContract, 'compatible');
    assert.equal(r.ok, true);
  });

  test('a contract migration: the old version fails its smoke tests, incompatible', async () => {
    const r = await run(withMigration('0100_users_tier', `ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'basic';\nALTER TABLE users ALTER COLUMN tier DROP DEFAULT;\n`));
    assert.equal(r.failure, null);
    assert.equal(r.smoke?.ok, false);
    assert.ok((r.smoke?.failed.length ?? 0) > 0);
    assert.equal(r.expandContract, 'incompatible');
    assert.equal(r.ok, false);
    const c = new pg.Client({ connectionString: app.url });
    await c.connect();
    const cols = await c.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'tier'`);
    await c.end();
    assert.equal(cols.rows[0].n, 0, 'the rehearsal never touches the real database');
  });
});
