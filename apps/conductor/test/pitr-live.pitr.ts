import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { parseRollout } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { checkWalArchive } from '../src/gates/wal-archive.js';
import { getWalMark } from '../src/pitr/index.js';
import { ccPaths } from '../src/paths.js';
import { createRelease, openStorePool } from '../src/store/index.js';
import '../src/steps/backup.js';
import { postgresUser, startCluster, stopCluster, type Cluster, type PostgresUser } from './support/pg-cluster.js';
import { runServices } from './support/run-services.js';
import { scratchDatabase } from './support/scratch-db.js';

// Point-in-time recovery end to end, with the real tools: a private PostgreSQL 15 cluster
// (Debian's binaries, run as postgres), pgBackRest, and `ccr pitr` run as a process. Slow (a
// restart, a base backup and two restores with recovery), so it is `npm run test:pitr`.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

describe('ccr pitr with pgBackRest on a real PostgreSQL 15 cluster', () => {
  const base = mkdtempSync(join(tmpdir(), 'ccr-pitr-'));
  const home = join(base, 'home');
  const restoredDirs: string[] = [];
  let user: PostgresUser;
  let live: Cluster;
  let storeDb: Awaited<ReturnType<typeof scratchDatabase>>;
  let store: pg.Pool;
  let env: NodeJS.ProcessEnv;
  let yaml: string;
  const stanza = `ccr-test-${randomBytes(3).toString('hex')}`;

  const ccr = (...args: string[]) =>
    new Promise<{ code: number; out: Record<string, unknown>; stderr: string }>((resolve) => {
      execFile(process.execPath, ['apps/conductor/bin/ccr.mjs', ...args, '--env', 'pitr', '--json'], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        let out: Record<string, unknown> = {};
        try {
          out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
        } catch {
          out = { unparsed: stdout };
        }
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, stderr });
      });
    });

  before(async () => {
    user = await postgresUser();
    chownSync(base, user.uid, user.gid);
    [live, storeDb] = await Promise.all([startCluster(join(base, 'live'), user), scratchDatabase('ccr_pitr')]);
    store = await openStorePool(storeDb.url);
    await sql(live.url(), 'CREATE DATABASE app');
    await sql(live.url('app'), `CREATE TABLE schema_migrations (version int PRIMARY KEY); INSERT INTO schema_migrations VALUES (1), (2);
      CREATE TABLE items (id serial PRIMARY KEY, batch text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
      INSERT INTO items (batch) SELECT 'seed' FROM generate_series(1, 500)`);
    yaml = `version: 1
defaultEnvironment: pitr
environments:
  pitr:
    target: { type: local }
    databaseUrl: ${live.url('app')}
    backup: { dir: ${join(base, 'dumps')}, jobs: 1, sanityQueries: [{ name: seeded, sql: "SELECT count(*) >= 500 FROM items WHERE batch = 'seed'" }] }
    pitr: { stanza: ${stanza}, repoPath: ${join(base, 'repo')}, pgData: ${live.dataDir}, archiveTimeout: 60s, maxArchiveAge: 5m }
plan:
  - phase: pre-deployment
    steps:
      - { id: final-backup, kind: automated, type: backup.create, title: backup }
`;
    writeFileSync(join(base, 'rollout.yaml'), yaml);
    env = { ...process.env, CCR_HOME: home, CCR_CONFIG: join(base, 'rollout.yaml'), CCR_DATABASE_URL: storeDb.url, CCR_PROGRESS: '1' };
  });

  after(async () => {
    // Every cluster this file started stops, even when a test failed half-way.
    await Promise.all([live && stopCluster(live.dataDir, user), ...restoredDirs.map((d) => stopCluster(d, user))].filter(Boolean));
    await store?.end();
    await storeDb?.drop();
    rmSync(base, { recursive: true, force: true });
  });

  test('setup reports each change, restarts for archive_mode, and a second run changes nothing', async () => {
    const first = await ccr('pitr', 'setup');
    assert.equal(first.code, 0, JSON.stringify(first.out) + first.stderr);
    const r1 = first.out as { settings: Array<{ name: string; from: string; to: string; applies: string }>; restartNeeded: boolean; check: unknown; files: Array<{ written: boolean }>; stanzaCreated: boolean };
    assert.deepEqual(r1.settings.map((s) => [s.name, s.from, s.applies]), [['archive_mode', 'off', 'restart'], ['archive_command', '(disabled)', 'reload'], ['archive_timeout', '0s', 'reload']]);
    assert.equal(r1.restartNeeded, true);
    assert.equal(r1.check, null, 'no check while archive_mode waits for a restart');
    assert.equal(r1.stanzaCreated, true);

    const second = await ccr('pitr', 'setup', '--restart');
    assert.equal(second.code, 0, JSON.stringify(second.out) + second.stderr);
    const r2 = second.out as { restarted: boolean; restartNeeded: boolean; check: { ok: boolean } };
    assert.equal(r2.restarted, true);
    assert.deepEqual(r2.check, { ok: true, detail: 'WAL archiving works' });

    const third = await ccr('pitr', 'setup');
    const r3 = third.out as { settings: unknown[]; restartNeeded: boolean; files: Array<{ written: boolean }>; createdDirs: unknown[]; stanzaCreated: boolean };
    assert.deepEqual([r3.settings, r3.restartNeeded, r3.files[0]!.written, r3.createdDirs, r3.stanzaCreated], [[], false, false, [], false]);

    const conf = statSync(join(base, 'repo', 'pgbackrest.conf'));
    assert.equal(conf.mode & 0o777, 0o600);
    assert.equal(conf.uid, user.uid);
    assert.equal(statSync(join(base, 'repo')).mode & 0o777, 0o700);
  });

  test('check and the infrastructure gate see working, fresh archiving; a repository the archiver cannot write fails the gate', async () => {
    const c = await ccr('pitr', 'check');
    assert.equal(c.code, 0, JSON.stringify(c.out));
    const out = c.out as { ok: boolean; status: { newest: { wal: string; ageSeconds: number; source: string } }; pgbackrest: { ok: boolean; archivedWal: string } };
    assert.equal(out.pgbackrest.ok, true);
    assert.equal(out.status.newest.source, 'repository');
    assert.ok(out.status.newest.ageSeconds < 300, `fresh: ${out.status.newest.ageSeconds}`);

    const config = parseRollout(yaml, 'test.yaml');
    const ok = await checkWalArchive('pitr', config.environments['pitr']!, ccPaths(), 5000);
    assert.equal(ok.result, 'pass', ok.detail);
    assert.match(ok.detail, /^newest [0-9A-F]{24} archived \d+ s ago \(max 5 min\); pgbackrest check: archive_command works/);

    // The archiver (running as postgres) can no longer enter the stanza's archive.
    const archiveDir = join(base, 'repo', 'archive', stanza);
    const mode = statSync(archiveDir).mode & 0o777;
    chmodSync(archiveDir, 0o000);
    try {
      await sql(live.url('app'), `INSERT INTO items (batch) VALUES ('probe'); SELECT pg_switch_wal()`);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await sql<{ n: number }>(live.url(), 'SELECT failed_count::int AS n FROM pg_stat_archiver'))[0]!.n === 0) await delay(200);
      const bad = await checkWalArchive('pitr', config.environments['pitr']!, ccPaths(), 5000);
      assert.equal(bad.result, 'fail');
      assert.match(bad.detail, /^archiving is failing: [0-9A-F]{24} failed at/);
    } finally {
      chmodSync(archiveDir, mode);
    }
    // After three failed attempts the archiver sleeps until a segment completes: complete one.
    let again = await checkWalArchive('pitr', config.environments['pitr']!, ccPaths(), 5000);
    const deadline = Date.now() + 90_000;
    while (again.result !== 'pass' && Date.now() < deadline) {
      await sql(live.url('app'), `INSERT INTO items (batch) VALUES ('probe'); SELECT pg_switch_wal()`);
      await delay(500);
      again = await checkWalArchive('pitr', config.environments['pitr']!, ccPaths(), 5000);
    }
    assert.equal(again.result, 'pass', `archiving recovers once the repository is writable: ${again.detail}`);
  });

  test('restore to a noted time: rows A are there, rows B are not; the live cluster is untouched', async () => {
    const backup = await ccr('pitr', 'backup', '--type', 'full');
    assert.equal(backup.code, 0, JSON.stringify(backup.out) + backup.stderr);
    assert.match(backup.stderr, /backup: 100%/, 'progress is reported');
    assert.equal((backup.out as { backup: { type: string } }).backup.type, 'full');

    await sql(live.url('app'), `INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 100)`);
    const t = (await sql<{ t: string }>(live.url('app'), `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`))[0]!.t;
    await sql(live.url('app'), `INSERT INTO items (batch) SELECT 'B' FROM generate_series(1, 50)`);

    const dataDir = join(base, 'restored-time');
    restoredDirs.push(join(dataDir));
    const r = await ccr('pitr', 'restore', '--to', t, '--data-dir', dataDir);
    assert.equal(r.code, 0, JSON.stringify(r.out) + r.stderr);
    const rep = r.out as { port: number; running: boolean; verification: { ok: boolean; counts: Record<string, number>; schemaVersion: number } };
    assert.equal(rep.running, true);
    assert.equal(rep.verification.ok, true);
    assert.equal(rep.verification.schemaVersion, 2);
    const restored = `postgres://postgres@127.0.0.1:${rep.port}/app`;
    const batches = Object.fromEntries((await sql<{ batch: string; n: number }>(restored, 'SELECT batch, count(*)::int AS n FROM items GROUP BY batch')).map((x) => [x.batch, x.n]));
    assert.equal(batches['A'], 100, 'rows A are there');
    assert.equal(batches['B'], undefined, 'rows B are not');
    const liveB = await sql<{ n: number }>(live.url('app'), `SELECT count(*)::int AS n FROM items WHERE batch = 'B'`);
    assert.equal(liveB[0]!.n, 50, 'the live cluster still has B');
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);

    const refused = await ccr('pitr', 'restore', '--to', t, '--data-dir', live.dataDir);
    assert.equal(refused.code, 64);
    assert.match((refused.out as { error: { message: string } }).error.message, /never goes over the live cluster/);
  });

  test('restore --to release:<id> returns to the WAL position the final-backup step recorded, row for row', async () => {
    const config = parseRollout(yaml, 'test.yaml');
    const rowsAtStart = (await sql<{ n: number }>(live.url('app'), 'SELECT count(*)::int AS n FROM items'))[0]!.n;
    const release = await createRelease(store, { env: 'pitr', ref: 'v2', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: 'v1' });
    const ctx = createContext({ store, config, envName: 'pitr', release, actor: 't', services: runServices(live.url('app'), ccPaths(undefined, home)) });
    const res = await stepImpl('backup.create').reconcile(ctx, { id: 'final-backup', kind: 'automated', type: 'backup.create', title: 'backup', params: {} });
    assert.equal(res.status, 'done', res.reason);
    const mark = await getWalMark(store, release.id);
    assert.ok(mark, 'the mark is recorded');
    assert.equal(mark.exact, true, 'a quiet server: nothing written or running at the snapshot');
    assert.match(res.reason, new RegExp(`WAL at ${mark.lsn.replace('/', '\\/')}`));
    // what the release then does, which the restore must not contain
    await sql(live.url('app'), `INSERT INTO items (batch) SELECT 'release' FROM generate_series(1, 30); INSERT INTO schema_migrations VALUES (3)`);

    const dataDir = join(base, 'restored-release');
    restoredDirs.push(dataDir);
    const r = await ccr('pitr', 'restore', '--to', `release:${release.id}`, '--data-dir', dataDir, '--stop');
    assert.equal(r.code, 0, JSON.stringify(r.out) + r.stderr);
    const rep = r.out as { running: boolean; target: { kind: string; value: string }; verification: { ok: boolean; problems: string[]; reference: { backupId: string; exact: boolean }; counts: Record<string, number>; schemaVersion: number } };
    assert.deepEqual([rep.target.kind, rep.target.value], ['lsn', mark.lsn]);
    assert.deepEqual(rep.verification.reference, { backupId: mark.backupId, exact: true });
    assert.deepEqual(rep.verification.problems, []);
    assert.equal(rep.verification.schemaVersion, 2, 'before the release\'s migration');
    assert.equal(rep.verification.counts['public.items'], rowsAtStart, 'the rows at the release\'s start, not the release\'s own');
    assert.equal(rep.running, false);
    assert.ok(!readdirSync(dataDir).includes('postmaster.pid'), 'stopped');
  });
});
