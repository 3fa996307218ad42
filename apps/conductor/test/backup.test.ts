import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { checkDisk } from '../src/backup/create.js';
import { createBackup, getBackup, insertBackup, listBackups, pruneBackups, restoreBackup, sha256OfFile, verifyBackup, type BackupRecord } from '../src/backup/index.js';
import { parseRollout } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { createRelease, setActiveVersion, updateRelease } from '../src/store/index.js';
import '../src/steps/backup.js';
import { loadMigrationFiles } from '@cc/pg-migrate';
import { API_MIGRATIONS, seededAppDatabase, scratchStore } from './support/backup-seed.js';
import { ADMIN_URL, urlFor } from './support/scratch-db.js';
import { runServices } from './support/run-services.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

const LEDGER_ROWS = 100_000;
// The API's schema as of this checkout: its migrations grow, the tests must not care how many.
const API_MIGRATION_FILES = loadMigrationFiles(API_MIGRATIONS);
const API_SCHEMA_VERSION = API_MIGRATION_FILES.at(-1)!.version;
const CONFIG = { jobs: 2, sanityQueries: [{ name: 'ledger-balanced', sql: 'SELECT count(*) > 0 AND min(balance_after) >= 0 FROM ledger_entries' }] };

async function count(url: string, sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query({ text: sql, rowMode: 'array' })).rows[0]?.[0]);
  } finally {
    await c.end();
  }
}

describe('backups against real PostgreSQL', () => {
  let app: Awaited<ReturnType<typeof seededAppDatabase>>;
  let store: Awaited<ReturnType<typeof scratchStore>>;
  let dir: string;
  let good: BackupRecord;
  const extraDbs: string[] = [];

  before(async () => {
    [app, store] = await Promise.all([seededAppDatabase(LEDGER_ROWS), scratchStore()]);
    dir = tempDir('ccr-backups-');
    good = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir, releaseId: null, appVersion: 'v1' });
  });
  after(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    for (const d of extraDbs) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await c.end();
    await store?.drop();
    await app?.drop();
  });

  test('a seeded database (>= 100,000 ledger rows) is dumped in custom format with its sha256 beside it and its metadata stored', async () => {
    assert.equal(good.tableCounts['public.ledger_entries'], LEDGER_ROWS);
    assert.equal(good.tableCounts['public.users'], 100);
    assert.equal(good.schemaVersion, API_SCHEMA_VERSION);
    assert.equal(good.format, 'custom');
    assert.match(good.serverVersion, /^15\./);
    assert.equal(readFileSync(good.path).subarray(0, 5).toString(), 'PGDMP', 'pg_dump custom format magic');
    assert.equal(readFileSync(`${good.path}.sha256`, 'utf8'), `${await sha256OfFile(good.path)}  ${basename(good.path)}\n`);
    assert.equal(good.sha256, await sha256OfFile(good.path));
    assert.equal(good.sizeBytes, statSync(good.path).size);
    assert.ok((await listBackups(store.pool, 'test')).some((b) => b.id === good.id));
    // The dump holds password and refresh-token hashes and unused invite codes: owner-only.
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    assert.equal(mode(good.path), '600', 'dump file');
    assert.equal(mode(`${good.path}.sha256`), '600', 'checksum file');
    assert.equal(mode(dirname(good.path)), '700', 'backup folder');
  });

  test('verification restores into a scratch database, compares tables, counts, schema version and sanity queries, then drops it', async () => {
    const lines: string[] = [];
    const v = await verifyBackup({ store: store.pool, id: good.id, serverUrl: app.url, config: CONFIG, progress: (l) => lines.push(l) });
    assert.equal(v.status, 'verified', JSON.stringify(v.verifyResult));
    const scratch = /scratch database (ccr_verify_[0-9a-f]+)/.exec(lines.join('\n'))?.[1];
    assert.ok(scratch, lines.join('\n'));
    assert.equal(v.verifyResult?.rows, LEDGER_ROWS + 100 + API_MIGRATION_FILES.length); // ledger, users, schema_migrations
    assert.equal(v.verifyResult?.schemaVersion, API_SCHEMA_VERSION);
    assert.deepEqual(v.verifyResult?.sanity, [{ name: 'ledger-balanced', ok: true }]);
    assert.ok((v.verifyDurationMs ?? -1) >= 0);
    assert.equal(await count(ADMIN_URL, `SELECT count(*) FROM pg_database WHERE datname = '${scratch}'`), 0, 'scratch database dropped');
  });

  test('a failing sanity query fails verification', async () => {
    const v = await verifyBackup({ store: store.pool, id: good.id, serverUrl: app.url, config: { jobs: 1, sanityQueries: [{ name: 'no-bets', sql: `SELECT count(*) = 0 FROM ledger_entries WHERE kind = 'bet'` }] } });
    assert.equal(v.status, 'verify_failed');
    assert.match(v.verifyResult!.problems.join('\n'), /sanity query no-bets failed: returned false/);
  });

  test('a corrupted dump file is caught by its checksum, and restore refuses it', async () => {
    const b = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir });
    const fd = openSync(b.path, 'r+');
    writeSync(fd, Buffer.from('garbage!'), 0, 8, Math.floor(b.sizeBytes / 2));
    closeSync(fd);
    const v = await verifyBackup({ store: store.pool, id: b.id, serverUrl: app.url, config: CONFIG });
    assert.equal(v.status, 'verify_failed');
    assert.match(v.verifyResult!.problems.join('\n'), /checksum mismatch/);
    await assert.rejects(restoreBackup({ store: store.pool, id: b.id, databaseUrl: app.url, to: 'ccr_never_made', jobs: 1 }), /refusing to restore .*checksum mismatch/);
  });

  test('a restore that differs from the source fails verification', async () => {
    const b = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir });
    // A dump that is internally sound (its checksums match) but is not the data that was
    // counted: taken after ten more ledger rows were written.
    await count(app.url, `WITH i AS (INSERT INTO ledger_entries (user_id, kind, amount, balance_after) SELECT id, 'payout', 5, 1005 FROM users LIMIT 10 RETURNING 1) SELECT count(*) FROM i`);
    execFileSync('pg_dump', ['-Fc', '-f', b.path, app.url]);
    const sha = await sha256OfFile(b.path);
    writeFileSync(`${b.path}.sha256`, `${sha}  ${basename(b.path)}\n`);
    await store.pool.query('UPDATE backups SET sha256 = $2 WHERE id = $1', [b.id, sha]);
    const v = await verifyBackup({ store: store.pool, id: b.id, serverUrl: app.url, config: CONFIG });
    assert.equal(v.status, 'verify_failed');
    assert.match(v.verifyResult!.problems.join('\n'), new RegExp(`public.ledger_entries: ${LEDGER_ROWS} rows in the source snapshot, ${LEDGER_ROWS + 10} restored`));
  });

  test('restore --to a new database, and in place in one transaction (later tables do not linger)', async () => {
    const to = `ccr_rt_${process.pid}`;
    extraDbs.push(to);
    const r = await restoreBackup({ store: store.pool, id: good.id, databaseUrl: app.url, to, jobs: 2 });
    assert.equal(r.database, to);
    assert.equal(await count(urlFor(to), 'SELECT count(*) FROM ledger_entries'), LEDGER_ROWS);
    await assert.rejects(restoreBackup({ store: store.pool, id: good.id, databaseUrl: app.url, to, jobs: 1 }), /already exists/);

    const copy = urlFor(to);
    await count(copy, `WITH x AS (INSERT INTO users (nickname, password_hash) VALUES ('late_user', 'x') RETURNING 1) SELECT count(*) FROM x`);
    const c = new pg.Client({ connectionString: copy });
    await c.connect();
    await c.query('CREATE TABLE added_later (id int)');
    await c.end();
    await restoreBackup({ store: store.pool, id: good.id, databaseUrl: copy, jobs: 1 });
    assert.equal(await count(copy, 'SELECT count(*) FROM users'), 100);
    assert.equal(await count(copy, `SELECT count(*) FROM pg_tables WHERE tablename = 'added_later'`), 0);
    assert.equal(await count(copy, 'SELECT max(version) FROM schema_migrations'), API_SCHEMA_VERSION);
  });

  test('clear errors: pg_dump missing, or older than the server', async () => {
    const bin = tempDir('ccr-pgbin-');
    const saved = { PATH: process.env['PATH'], CCR_PG_BIN: process.env['CCR_PG_BIN'] };
    try {
      process.env['PATH'] = bin;
      delete process.env['CCR_PG_BIN'];
      await assert.rejects(createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir }), /pg_dump not found on PATH.*postgresql-client/);
      writeFileSync(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 13.9"\n');
      chmodSync(join(bin, 'pg_dump'), 0o755);
      process.env['PATH'] = `${bin}:${saved.PATH}`;
      await assert.rejects(createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir }), /pg_dump 13 is older than the server \(PostgreSQL 15\..*\): pg_dump 15 or newer is needed/);
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.CCR_PG_BIN) process.env['CCR_PG_BIN'] = saved.CCR_PG_BIN;
    }
  });

  test('a backup whose record cannot be written leaves no dump or checksum file behind', async () => {
    const own = tempDir('ccr-bk-norecord-');
    const failingStore = {
      query: ((sql: string, params?: unknown[]) =>
        /INSERT INTO backups/.test(sql) ? Promise.reject(new Error('the store went away')) : store.pool.query(sql, params)) as unknown as pg.Pool['query'],
    };
    await assert.rejects(createBackup({ store: failingStore, env: 'test', databaseUrl: app.url, dir: own }), /the store went away/);
    assert.deepEqual(readdirSync(own), []);
    const ok = await createBackup({ store: store.pool, env: 'test', databaseUrl: app.url, dir: own });
    assert.deepEqual(readdirSync(own).sort(), [basename(ok.path), `${basename(ok.path)}.sha256`], 'only the published files: no .partial or .tmp');
  });

  test('clear errors: too little disk (checked up front from the database size), permission denied', async () => {
    await assert.rejects(checkDisk(dir, 1e15), /too little disk space in .*: \d+ MB free, the backup needs up to \d+ MB \(estimated from pg_database_size = \d+ MB\)/);
    const role = `ccr_noread_${process.pid}`;
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      const u = new URL(app.url);
      u.username = role;
      await assert.rejects(createBackup({ store: store.pool, env: 'test', databaseUrl: u.toString(), dir }), /permission denied: the role cannot read .*public\.ledger_entries/);
    } finally {
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.end();
    }
  });

  test('the backup.create and backup.verify steps: one backup per release, and a failed verification never satisfies the gate', async () => {
    const yaml = `version: 1
defaultEnvironment: test
environments:
  test:
    target: { type: local }
    databaseUrl: ${app.url}
    backup: { dir: ${dir}, keep: 50, jobs: 1, sanityQueries: [{ name: users, sql: "SELECT count(*) = 100 FROM users" }] }
plan:
  - phase: pre-deployment
    steps:
      - { id: final-backup, kind: automated, type: backup.create, title: backup }
      - { id: verify-backup, kind: automated, type: backup.verify, title: verify }
`;
    const config = parseRollout(yaml, 'test.yaml');
    const step = (type: 'backup.create' | 'backup.verify') => ({ id: type, kind: 'automated' as const, type, title: type, params: {} });
    const run = async () => {
      const release = await createRelease(store.pool, { env: 'test', ref: 'HEAD', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: 'v1' });
      const ctx = createContext({ store: store.pool, config, envName: 'test', release, actor: 't', services: runServices(app.url) });
      return { ctx, create: () => stepImpl('backup.create').reconcile(ctx, step('backup.create')), verify: () => stepImpl('backup.verify').reconcile(ctx, step('backup.verify')) };
    };
    const a = await run();
    assert.equal((await a.verify()).status, 'fail', 'no backup yet');
    const created = await a.create();
    assert.equal(created.status, 'done', created.reason);
    const id = a.ctx.release.data['backupId'] as string;
    assert.equal((await getBackup(store.pool, id))?.releaseId, a.ctx.release.id);
    assert.match((await a.create()).reason, /already taken/, 'a resumed release does not dump twice');
    const verified = await a.verify();
    assert.equal(verified.status, 'done', verified.reason);
    assert.equal((await getBackup(store.pool, id))?.status, 'verified');

    await a.ctx.update({ state: 'promoted' });
    const b = await run();
    assert.equal((await b.create()).status, 'done');
    const path = (await getBackup(store.pool, b.ctx.release.data['backupId'] as string))!.path;
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('tail')]));
    const bad = await b.verify();
    assert.equal(bad.status, 'fail');
    assert.match(bad.reason, /failed verification: checksum mismatch/);
    const again = await b.verify();
    assert.equal(again.status, 'fail');
    assert.match(again.reason, /cannot satisfy this gate/);
  });

  test('retention keeps N or D days and never prunes the backups of the current or previous release', async () => {
    const env = 'retention';
    const rel = async (version: string) => {
      const r = await createRelease(store.pool, { env, ref: version, strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: null });
      await updateRelease(store.pool, r.id, { version, state: 'promoted' });
      return r.id;
    };
    const [r1, r2, r3] = [await rel('v1'), await rel('v2'), await rel('v3')];
    await setActiveVersion(store.pool, env, 'v3', 'v2');
    const make = async (id: string, releaseId: string | null, daysOld: number) => {
      const path = join(dir, `${id}.dump`);
      writeFileSync(path, id);
      writeFileSync(`${path}.sha256`, 'x');
      await insertBackup(store.pool, { id, env, releaseId, appVersion: null, database: 'x', serverVersion: '15', pgDumpVersion: '15', format: 'custom', path, sizeBytes: 1, sha256: 'x', durationMs: 1, schemaVersion: 1, tableCounts: {} });
      await store.pool.query(`UPDATE backups SET created_at = now() - ($2 || ' days')::interval WHERE id = $1`, [id, String(daysOld)]);
      return path;
    };
    const p = {
      old1: await make('b-old1', r1, 40),   // old, release v1 is neither current nor previous: pruned
      old2: await make('b-old2', r2, 39),   // old, but the previous release's: kept
      old3: await make('b-old3', r3, 38),   // old, but the current release's: kept
      old4: await make('b-old4', null, 37), // old, no release: pruned
      mid: await make('b-mid', null, 5),    // younger than keepDays: kept
      new1: await make('b-new1', null, 1),  // among the newest `keep`: kept
    };
    const r = await pruneBackups(store.pool, env, { keep: 1, keepDays: 14 });
    assert.deepEqual(r.pruned.map((b) => b.id).sort(), ['b-old1', 'b-old4']);
    assert.deepEqual(r.protectedIds.sort(), ['b-old2', 'b-old3']);
    assert.equal(existsSync(p.old1), false);
    assert.equal(existsSync(`${p.old4}.sha256`), false);
    for (const kept of [p.old2, p.old3, p.mid, p.new1]) assert.ok(existsSync(kept), kept);
    assert.equal((await getBackup(store.pool, 'b-old1'))?.status, 'pruned');
    assert.deepEqual((await listBackups(store.pool, env)).map((b) => b.id), ['b-new1', 'b-mid', 'b-old3', 'b-old2']);
  });
});
