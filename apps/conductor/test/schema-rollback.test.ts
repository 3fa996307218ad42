import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import type { Artifact } from '../src/artifacts/store.js';
import { createBackup } from '../src/backup/index.js';
import { createRelease, updateRelease } from '../src/store/index.js';
import { applySchemaRollback, describeSchemaRollback, guardSchemaRollback, planSchemaRollback } from '../src/schema/rollback-plan.js';
import { scratchStore } from './support/backup-seed.js';
import { scratchDatabase } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

type Mig = { name: string; up: string; down: string };
const M1: Mig = { name: '0001_orders', up: 'CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());\n', down: 'DROP TABLE orders;\n' };
const M2_REVERSIBLE: Mig = { name: '0002_order_notes', up: 'CREATE TABLE order_notes (id bigint PRIMARY KEY, note text);\n', down: 'DROP TABLE order_notes;\n' };
const M2_IRREVERSIBLE: Mig = { name: '0002_drop_legacy', up: 'CREATE TABLE order_notes (id bigint PRIMARY KEY, note text);\n', down: '-- cc:irreversible the legacy column was dropped\n' };

// An artifact as the conductor reads it: a folder with migrations/ and the manifest fields used here.
function artifact(version: string, migs: Mig[]): Artifact {
  const dir = tempDir(`ccr-art-${version}-`);
  mkdirSync(join(dir, 'migrations'));
  for (const m of migs) {
    writeFileSync(join(dir, 'migrations', `${m.name}.up.sql`), m.up);
    writeFileSync(join(dir, 'migrations', `${m.name}.down.sql`), m.down);
  }
  const migrations = migs.map((m) => ({ version: Number(m.name.slice(0, 4)), name: m.name.slice(5), sha256: '', up: `migrations/${m.name}.up.sql`, down: `migrations/${m.name}.down.sql`, downSha256: '', noTransaction: false }));
  return { version, dir, manifest: { migrationsDir: 'migrations', migrations } as unknown as Artifact['manifest'] };
}

describe('rollback and the schema', () => {
  let store: Awaited<ReturnType<typeof scratchStore>>;
  const dbs: Array<{ drop(): Promise<void> }> = [];
  before(async () => {
    store = await scratchStore();
  });
  after(async () => {
    for (const d of dbs) await d.drop();
    await store?.drop();
  });

  async function database(from: Artifact): Promise<string> {
    const db = await scratchDatabase('ccr_srb');
    dbs.push(db);
    await new Migrator({ databaseUrl: db.url, dir: join(from.dir, 'migrations') }).up();
    return db.url;
  }

  test('same schema: nothing to do', async () => {
    const v1 = artifact('v1', [M1]);
    const url = await database(v1);
    const p = await planSchemaRollback({ store: store.pool, env: 'e1', artifactFrom: v1, artifactTo: artifact('v0', [M1]), databaseUrl: url, allowMigrateDown: false });
    assert.equal(p.action, 'none');
  });

  test('reversible: migrates down when the configuration allows it, refuses when it does not', async () => {
    const v1 = artifact('v1', [M1]);
    const v2 = artifact('v2', [M1, M2_REVERSIBLE]);
    const url = await database(v2);
    const refused = await planSchemaRollback({ store: store.pool, env: 'e2', artifactFrom: v2, artifactTo: v1, databaseUrl: url, allowMigrateDown: false });
    assert.equal(refused.action, 'refuse');
    assert.match(refused.reason, /rollback.allowMigrateDown is false/);
    await assert.rejects(guardSchemaRollback({ store: store.pool, env: 'e2', artifactFrom: v2, artifactTo: v1, databaseUrl: url, allowMigrateDown: false }), (err: Error & { exitCode?: number }) => err.exitCode === 2);

    const p = await guardSchemaRollback({ store: store.pool, env: 'e2', artifactFrom: v2, artifactTo: v1, databaseUrl: url, allowMigrateDown: true });
    assert.equal(p.action, 'migrate-down');
    assert.deepEqual(p.steps, [{ version: 2, name: 'order_notes', irreversible: false }]);
    const reverted = await applySchemaRollback(p, { artifactFrom: v2, databaseUrl: url, lockTimeoutMs: 1000, statementTimeoutMs: 10_000, retries: 0 });
    assert.deepEqual(reverted.map((r) => r.version), [2]);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const r = await c.query(`SELECT (SELECT max(version) FROM schema_migrations) AS v, to_regclass('order_notes') AS t`);
    await c.end();
    assert.deepEqual(r.rows[0], { v: 1, t: null });
  });

  test('a rollback target proven on the current schema by the release\'s rehearsal keeps the schema (no migrate down, no data lost)', async () => {
    const v1 = artifact('v1', [M1]);
    const v2 = artifact('v2', [M1, M2_IRREVERSIBLE]);
    const url = await database(v2);
    const rel = await createRelease(store.pool, { env: 'e5', ref: 'v2', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: 'v1' });
    await updateRelease(store.pool, rel.id, { version: 'v2', state: 'promoted', data: { rehearsal: { expandContract: 'compatible', oldVersion: 'v1' } } });
    const p = await guardSchemaRollback({ store: store.pool, env: 'e5', artifactFrom: v2, artifactTo: v1, databaseUrl: url, allowMigrateDown: true });
    assert.equal(p.action, 'keep');
    assert.deepEqual(p.steps.map((x) => x.version), [2]);
    assert.match(p.reason, new RegExp(`v1 passed its smoke tests on this schema in release ${rel.id}'s rehearsal: 0002_drop_legacy stay applied`));
    assert.deepEqual(await applySchemaRollback(p, { artifactFrom: v2, databaseUrl: url, lockTimeoutMs: 1000, statementTimeoutMs: 10_000, retries: 0 }), [], 'nothing is migrated down');
    // The proof is about one version: rolling back to another one is judged on the migrations.
    const v0 = artifact('v0', [M1]);
    const other = await planSchemaRollback({ store: store.pool, env: 'e5', artifactFrom: v2, artifactTo: v0, databaseUrl: url, allowMigrateDown: true });
    assert.equal(other.action, 'refuse');
    assert.match(other.reason, /cannot be reversed/);
  });

  test('a roll-forward-only release is refused even when its migrations are reversible, naming the acknowledgement', async () => {
    const v1 = artifact('v1', [M1]);
    const v2 = artifact('v2', [M1, M2_REVERSIBLE]);
    const url = await database(v2);
    const rel = await createRelease(store.pool, { env: 'e4', ref: 'v2', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: 'v1' });
    await updateRelease(store.pool, rel.id, { version: 'v2', state: 'promoted', rollForwardOnly: true, data: { migrationLint: { acknowledgements: [{ migration: '0002_order_notes', rule: 'ban-drop-column', reason: 'legacy column unused since v1' }] } } });
    const p = await planSchemaRollback({ store: store.pool, env: 'e4', artifactFrom: v2, artifactTo: v1, databaseUrl: url, allowMigrateDown: true });
    assert.equal(p.action, 'refuse');
    assert.match(p.reason, new RegExp(`release ${rel.id} \\(v2\\) is roll-forward-only \\(acknowledged 0002_order_notes ban-drop-column: "legacy column unused since v1"\\)`));
  });

  test('irreversible: refuses, explains why, offers the pre-release backup and counts the data at risk', async () => {
    const v1 = artifact('v1', [M1]);
    const v2 = artifact('v2', [M1, M2_IRREVERSIBLE]);
    const db = await scratchDatabase('ccr_srb');
    dbs.push(db);
    await new Migrator({ databaseUrl: db.url, dir: join(v1.dir, 'migrations') }).up();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('INSERT INTO orders (id) SELECT g FROM generate_series(1, 40) g');
    // The release of v2 takes its pre-release backup, then migrates.
    const rel = await createRelease(store.pool, { env: 'e3', ref: 'v2', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: 'v1' });
    await updateRelease(store.pool, rel.id, { version: 'v2' });
    const b = await createBackup({ store: store.pool, env: 'e3', databaseUrl: db.url, dir: tempDir('ccr-srb-'), releaseId: rel.id });
    await new Migrator({ databaseUrl: db.url, dir: join(v2.dir, 'migrations') }).up();
    await c.query('INSERT INTO orders (id) SELECT g FROM generate_series(41, 47) g');
    await c.query(`INSERT INTO order_notes (id, note) VALUES (1, 'a'), (2, 'b')`);
    await c.end();

    const p = await planSchemaRollback({ store: store.pool, env: 'e3', artifactFrom: v2, artifactTo: v1, databaseUrl: db.url, allowMigrateDown: true });
    assert.equal(p.action, 'refuse');
    assert.match(p.reason, /0002_drop_legacy cannot be reversed/);
    assert.equal(p.backup?.id, b.id);
    assert.equal(p.restoreCommand, `ccr backup restore ${b.id} --yes`);
    assert.deepEqual(p.atRisk, [
      { table: 'public.orders', rows: 7, method: 'created_at' },
      { table: 'public.order_notes', rows: 2, method: 'new-table' },
    ]);
    const text = describeSchemaRollback(p);
    assert.match(text, new RegExp(`ccr backup restore ${b.id} --yes`));
    assert.match(text, /public\.orders: 7 row\(s\)/);
    await assert.rejects(guardSchemaRollback({ store: store.pool, env: 'e3', artifactFrom: v2, artifactTo: v1, databaseUrl: db.url, allowMigrateDown: true }), /cannot be reversed/);
  });
});
