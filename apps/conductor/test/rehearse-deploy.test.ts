import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Artifact } from '../src/artifacts/store.js';
import { migrateUp } from '../src/runtime/migrate.js';
import { scratchDatabase } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Migrations during deploy go through the artifact's migrate CLI. This artifact's CLI is the
// API's real one (apps/api/src/bin/migrate.ts, run through tsx), over a migrations folder of
// our own: the same process boundary and JSON contract as a built artifact.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function artifact(migs: Record<string, string>): Artifact {
  const dir = tempDir('ccr-mig-art-');
  mkdirSync(join(dir, 'api'));
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'api', 'migrate.mjs'), `import { register } from ${JSON.stringify(join(ROOT, 'node_modules/tsx/dist/esm/api/index.mjs'))};\nregister();\nawait import(${JSON.stringify(join(ROOT, 'apps/api/src/bin/migrate.ts'))});\n`);
  for (const [name, sql] of Object.entries(migs)) {
    writeFileSync(join(dir, 'migrations', `${name}.up.sql`), sql);
    writeFileSync(join(dir, 'migrations', `${name}.down.sql`), '-- cc:irreversible\n');
  }
  return { version: 'vtest', dir, manifest: { entrypoints: { server: 'api/server.mjs', migrate: 'api/migrate.mjs' }, migrationsDir: 'migrations' } as unknown as Artifact['manifest'] };
}

const MIGS = {
  '0001_accounts': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n',
  '0002_accounts_note': 'ALTER TABLE accounts ADD COLUMN note text;\n',
  '0003_later': 'CREATE TABLE later (id bigint PRIMARY KEY);\n',
};

describe('migrations during deploy: timeouts, retries, durations', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  before(async () => {
    db = await scratchDatabase('ccr_migstep');
  });
  after(async () => db?.drop());

  async function holdLock(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM accounts');
    return c;
  }
  const version = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query('SELECT max(version)::int AS v FROM schema_migrations');
    await c.end();
    return r.rows[0].v as number;
  };

  test('a lock held past every retry fails, leaving the database at the last good migration', async () => {
    const a = artifact(MIGS);
    const first = await migrateUp(artifact({ '0001_accounts': MIGS['0001_accounts'] }), db.url);
    assert.equal(first.applied, 1);
    const holder = await holdLock();
    const retries: number[] = [];
    try {
      await assert.rejects(migrateUp(a, db.url, { lockTimeoutMs: 200, statementTimeoutMs: 10_000, retries: 1, onRetry: (n) => retries.push(n) }), /failed after 2 attempts: .*0002_accounts_note failed on lock_timeout \(200 ms\)/);
    } finally {
      await holder.end();
    }
    assert.deepEqual(retries, [1]);
    assert.equal(await version(), 1);
  });

  test('a lock released during the retries: the migrations apply, each with its duration', async () => {
    const holder = await holdLock();
    const release = setTimeout(() => void holder.end(), 700);
    const r = await migrateUp(artifact(MIGS), db.url, { lockTimeoutMs: 200, statementTimeoutMs: 10_000, retries: 5 });
    clearTimeout(release);
    await holder.end().catch(() => undefined);
    assert.deepEqual(r.steps.map((s) => s.version), [2, 3]);
    for (const s of r.steps) assert.ok(Number.isInteger(s.durationMs) && s.durationMs >= 0);
    assert.equal(await version(), 3);
  });
});
