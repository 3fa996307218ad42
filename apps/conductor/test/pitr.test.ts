import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createBackup } from '../src/backup/index.js';
import { parseRollout } from '../src/config/index.js';
import { checkWalArchive } from '../src/gates/wal-archive.js';
import { ccPaths } from '../src/paths.js';
import { judgeArchive, type ArchiveStatus } from '../src/pitr/archive-status.js';
import { backupProgress } from '../src/pitr/backup.js';
import { renderConf } from '../src/pitr/conf-file.js';
import { getWalMark, recordWalMark } from '../src/pitr/wal-marks.js';
import type { PitrLayout } from '../src/pitr/layout.js';
import { parseInfo, type BackupSet } from '../src/pitr/pgbackrest.js';
import { plannedChanges, type ServerFacts } from '../src/pitr/server.js';
import { chooseBackupSet, lsnValue, parseTimeTarget, resolveTarget, type RestoreTarget } from '../src/pitr/target.js';
import { createRelease } from '../src/store/index.js';
import { scratchDatabase, useScratchStore } from './support/scratch-db.js';

// PITR's pure parts (configuration, targets, backup choice, pgBackRest's output, the archive
// verdict) and what runs against the shared server: the refusal of the embedded default, the
// gate where PITR is not configured or archiving is off, and the WAL position of a backup.
// The end-to-end run with pgBackRest and a private cluster is `npm run test:pitr`.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const rollout = (pitr: string, databaseUrl = 'postgres://postgres@127.0.0.1:5432/app') => `version: 1
defaultEnvironment: s
environments:
  s:
    target: { type: local }
    databaseUrl: ${databaseUrl}
${pitr ? `    pitr: ${pitr}\n` : ''}plan:
  - phase: pre-deployment
    steps:
      - { id: final-backup, kind: automated, type: backup.create, title: backup }
`;

describe('pitr configuration', () => {
  test('shape errors are named by path; defaults fill the rest', () => {
    assert.throws(() => parseRollout(rollout('{ stanza: "bad name", repoPath: repo, pgData: /srv/pg }'), 'r.yaml'), (err: Error) => {
      assert.match(err.message, /environments\.s\.pitr\.stanza: must be letters, digits, _ and -/);
      assert.match(err.message, /environments\.s\.pitr\.repoPath: must be an absolute path/);
      return true;
    });
    assert.throws(() => parseRollout(rollout('{ stanza: s, repoPath: "/srv/re po", pgData: /srv/pg, pgBinn: /x }'), 'r.yaml'), /pitr\.repoPath: must not contain spaces[\s\S]*pitr: Unrecognized key.*pgBinn/);
    const cfg = parseRollout(rollout('{ stanza: cc, repoPath: /srv/repo, pgData: /srv/pg, maxArchiveAge: 2m }'), 'r.yaml');
    assert.deepEqual(cfg.environments['s']!.pitr, { stanza: 'cc', repoPath: '/srv/repo', pgData: '/srv/pg', retentionFull: 2, archiveTimeout: 60_000, maxArchiveAge: 120_000, processMax: 2, compressType: 'lz4' });
  });

  test('the repository and the data directory must not contain each other [pitr-paths-apart]', () => {
    assert.throws(() => parseRollout(rollout('{ stanza: cc, repoPath: /srv/pg/repo, pgData: /srv/pg }'), 'r.yaml'), /environments\.s\.pitr\.repoPath: .*must not contain each other.*\[pitr-paths-apart\]/);
    assert.throws(() => parseRollout(rollout('{ stanza: cc, repoPath: /srv/repo, pgData: /srv/pg, configFile: /srv/pg/b.conf }'), 'r.yaml'), /pitr\.configFile: .*inside pgData/);
  });
});

const layout = { envName: 's', stanza: 'cc', repoPath: '/srv/repo', configFile: '/srv/repo/pgbackrest.conf', logPath: '/srv/repo/log', lockPath: '/srv/repo/lock', pgData: '/srv/pg', runAs: null, ownerUid: 0, ownerGid: 0,
  config: { stanza: 'cc', repoPath: '/srv/repo', pgData: '/srv/pg', retentionFull: 3, archiveTimeout: 30_000, maxArchiveAge: 600_000, processMax: 2, compressType: 'zst' as const } } satisfies PitrLayout;

describe('pgBackRest configuration and server settings', () => {
  test('the configuration file names the repository, the cluster and its socket', () => {
    assert.equal(renderConf(layout, { port: 5433, socketPath: '/run/pg' }), [
      '# Written by `ccr pitr setup` from rollout.yaml (environments.s.pitr); edits are overwritten.',
      '[global]', 'repo1-path=/srv/repo', 'repo1-retention-full=3', 'log-path=/srv/repo/log', 'lock-path=/srv/repo/lock', 'process-max=2', 'compress-type=zst', 'start-fast=y', '',
      '[cc]', 'pg1-path=/srv/pg', 'pg1-port=5433', 'pg1-socket-path=/run/pg', '',
    ].join('\n'));
  });

  test('setup plans only the settings that differ, and says which need a restart', () => {
    const facts = (s: Record<string, string>): ServerFacts => ({
      version: '15.8', major: 15, superuser: true, dataDirectory: '/srv/pg', port: 5433, socketDirs: ['/run/pg'], listenAddresses: 'localhost', configFile: null, hbaFile: null, identFile: null, inRecovery: false,
      settings: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { value: v, pendingRestart: false }])),
    });
    assert.deepEqual(plannedChanges(facts({ wal_level: 'minimal', archive_mode: 'off', archive_command: '(disabled)', archive_timeout: '0' }), layout), [
      { name: 'wal_level', from: 'minimal', to: 'replica', applies: 'restart' },
      { name: 'archive_mode', from: 'off', to: 'on', applies: 'restart' },
      { name: 'archive_command', from: '(disabled)', to: 'pgbackrest --config=/srv/repo/pgbackrest.conf --stanza=cc archive-push %p', applies: 'reload' },
      { name: 'archive_timeout', from: '0s', to: '30s', applies: 'reload' },
    ]);
    assert.deepEqual(plannedChanges(facts({ wal_level: 'replica', archive_mode: 'on', archive_command: 'pgbackrest --config=/srv/repo/pgbackrest.conf --stanza=cc archive-push %p', archive_timeout: '30' }), layout), []);
  });

  test('pgbackrest info: 64-bit system identifiers survive, backups and the archive are read', () => {
    const info = parseInfo(JSON.stringify([{ name: 'cc', status: { code: 0, message: 'ok' }, archive: [{ id: '15-1', min: '000000010000000000000001', max: '000000010000000000000009' }] }])
      .replace('"archive"', '"db":[{"id":1,"system-id":7716726773908145934,"version":"15"}],"backup":[{"label":"20261208-004117F","type":"full","prior":null,"error":false,"timestamp":{"start":1796690477,"stop":1796690488},"lsn":{"start":"0/2000028","stop":"0/3000088"},"archive":{"start":"000000010000000000000002","stop":"000000010000000000000003"},"info":{"size":23213871,"repository":{"size":4549027}}}],"archive"'));
    assert.deepEqual(info.systemIds, ['7716726773908145934']);
    assert.equal(info.archive?.max, '000000010000000000000009');
    assert.deepEqual(info.backups.map((b) => [b.label, b.lsnStop, b.stoppedAt, b.repoBytes]), [['20261208-004117F', '0/3000088', 1796690488, 4549027]]);
  });

  test('progress: pgBackRest\'s per-file percentages in 10 % steps, and its milestones', () => {
    const said: string[] = [];
    const on = backupProgress((l) => said.push(l), 'backup');
    for (const l of [
      '2026-12-08 00:41:28.722 P00   INFO: backup start archive = 000000010000000000000004, lsn = 0/4000028',
      '2026-12-08 00:41:39.789 P01 DETAIL: backup file /srv/pg/base/5/1255 (768KB, 3.38%) checksum 83',
      '2026-12-08 00:41:39.838 P01 DETAIL: backup file /srv/pg/base/4/1255 (768KB, 16.77%) checksum 83',
      '2026-12-08 00:41:39.862 P01 DETAIL: backup file /srv/pg/base/1/1255 (768KB, 19.16%) checksum 83',
      '2026-12-08 00:41:53.212 P01 DETAIL: backup file /srv/pg/base/1/13394 (0B, 100.00%)',
      '2026-12-08 00:41:29.026 P00   INFO: backup command end: completed successfully (11489ms)',
    ]) on(l);
    assert.deepEqual(said, ['backup start archive = 000000010000000000000004, lsn = 0/4000028', 'backup: 0%', 'backup: 10%', 'backup: 100%']);
  });
});

describe('restore targets', () => {
  test('a timestamp needs a time zone and keeps its microseconds', () => {
    assert.deepEqual(parseTimeTarget('2026-03-02T10:15:00.123456Z'), { time: '2026-03-02 10:15:00.123456+00:00', epochMs: Date.parse('2026-03-02T10:15:00.123Z') });
    assert.equal(parseTimeTarget('2026-03-02 11:15+01').epochMs, Date.parse('2026-03-02T10:15:00Z'));
    assert.equal(parseTimeTarget('2026-03-02 11:15:30+0130').time, '2026-03-02 11:15:30+01:30');
    assert.throws(() => parseTimeTarget('2026-03-02 10:15:00'), /neither release:<id> nor a timestamp with a time zone/);
    assert.throws(() => parseTimeTarget('2026-02-31 10:15:00Z'), /not a valid date/);
  });

  test('the newest backup that ended before the target; a clear error when none did', () => {
    const set = (label: string, stop: number, lsnStop: string, error = false): BackupSet => ({ label, type: 'full', prior: null, startedAt: stop - 10, stoppedAt: stop, lsnStart: '0/1', lsnStop, walStart: '', walStop: '', sizeBytes: 1, repoBytes: 1, error });
    const sets = [set('a', 1000, '0/3000088'), set('b', 2000, '0/9000000'), set('c', 2500, '1/0', true), set('d', 3000, '1/20')];
    const time = (s: number): RestoreTarget => ({ kind: 'time', time: '', epochMs: s * 1000, description: `t${s}` });
    const lsn = (l: string) => ({ kind: 'lsn', lsn: l, releaseId: 'r', description: `lsn ${l}` }) as RestoreTarget;
    assert.equal(chooseBackupSet(sets, time(2999)).label, 'b', 'the failed backup c is never used');
    assert.equal(chooseBackupSet(sets, time(3000.5)).label, 'b', 'a backup ending in the target\'s own second only when nothing earlier exists');
    assert.equal(chooseBackupSet([set('only', 3000, '1/20')], time(3000.5)).label, 'only');
    assert.equal(chooseBackupSet(sets, lsn('0/9000000')).label, 'b');
    assert.equal(chooseBackupSet(sets, lsn('1/21')).label, 'd');
    assert.throws(() => chooseBackupSet(sets, time(900)), /no backup ended before t900: the oldest, a, ended at 1970-01-01T00:16:40\.000Z/);
    assert.throws(() => chooseBackupSet([], time(900)), /holds no backup yet/);
    assert.ok(lsnValue('1/0') > lsnValue('0/FFFFFFFF'));
  });

  test('release:<id> resolves to the recorded WAL mark of that environment; unknown or foreign releases are refused', async () => {
    const store = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
    await assert.rejects(resolveTarget('release:r-nope', store, 's'), /release r-nope has no recorded WAL position/);
    await assert.rejects(resolveTarget('2999-01-01T00:00:00Z', store, 's'), /is in the future/);
  });
});

describe('archive verdict', () => {
  const status = (o: Partial<ArchiveStatus>): ArchiveStatus => ({
    archiveMode: 'on', archiveCommand: 'cmd', archivedCount: 5, failedCount: 0, lastArchivedWal: 'W', lastArchivedAt: null, lastFailedWal: null, lastFailedAt: null,
    failing: false, backlog: 0, currentWal: null, newest: { wal: '000000010000000000000007', archivedAt: '', ageSeconds: 42, source: 'repository' }, serverTime: '', ...o,
  });
  test('off, foreign command, failing, never archived, stale with a backlog: fail; fresh or idle: pass', () => {
    const v = (o: Partial<ArchiveStatus>) => judgeArchive(status(o), 600_000, 'cmd');
    assert.deepEqual(v({}), { ok: true, detail: 'newest 000000010000000000000007 archived 42 s ago (max 10 min)' });
    assert.match(v({ archiveMode: 'off' }).detail, /archive_mode is off/);
    assert.match(v({ archiveCommand: 'cp %p /x' }).detail, /archive_command is 'cp %p \/x', not pgBackRest's/);
    assert.equal(v({ archiveCommand: null }).ok, true, 'a role that may not read archive_command is judged by the archiver');
    assert.match(v({ failing: true, lastFailedWal: 'F', lastFailedAt: 'T', failedCount: 3 }).detail, /archiving is failing: F failed at T \(3 failures/);
    assert.match(v({ newest: null }).detail, /no WAL segment has been archived yet/);
    const old = { wal: '000000010000000000000007', archivedAt: '', ageSeconds: 3600, source: 'server' as const };
    assert.deepEqual(v({ newest: old, backlog: 2 }), { ok: false, detail: 'newest 000000010000000000000007 archived 60 min ago, older than the 10 min allowed, while 2 segment(s) wait to be archived' });
    assert.equal(v({ newest: old, backlog: 0 }).ok, true, 'an idle server writes no WAL');
    assert.equal(v({ newest: old, backlog: null }).ok, false, 'an unknown backlog does not pass a stale archive');
  });
});

describe('pitr against the shared server', () => {
  const scratch = useScratchStore();
  let app: Awaited<ReturnType<typeof scratchDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'ccr-pitr-unit-'));
  before(async () => {
    app = await scratchDatabase('ccr_pitr_app');
  });
  after(async () => {
    await app?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ccr pitr refuses the embedded default and says that pg_dump backups stay there', async () => {
    writeFileSync(join(dir, 'rollout.yaml'), rollout('{ stanza: cc, repoPath: /srv/repo, pgData: /srv/pg }', '${DATABASE_URL:-}'));
    const { DATABASE_URL: _unset, ...base } = process.env;
    const out = await new Promise<{ code: number; json: { error: { code: string; message: string } } }>((resolve) => {
      execFile(process.execPath, ['apps/conductor/bin/ccr.mjs', 'pitr', 'setup', '--json'], { cwd: ROOT, env: { ...base, CCR_HOME: join(dir, 'home'), CCR_CONFIG: join(dir, 'rollout.yaml'), CCR_DATABASE_URL: app.url } }, (err, stdout) => {
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, json: JSON.parse(stdout.trim().split('\n').at(-1)!) });
      });
    });
    assert.equal(out.code, 64);
    assert.equal(out.json.error.code, 'usage');
    assert.match(out.json.error.message, /uses the embedded PostgreSQL of the local runtime .*Here, pg_dump backups stay: npx ccr backup create --verify/);
  });

  test('the infrastructure gate: "cannot check" without pitr, with the reason; fail when the server does not archive', async () => {
    const none = await checkWalArchive('s', parseRollout(rollout(''), 'r.yaml').environments['s']!, ccPaths(), 3000);
    assert.equal(none.result, 'cannot-check');
    assert.match(none.detail, /^no pitr is configured for s \(environments\.s\.pitr\): WAL archiving and point-in-time recovery are not checked/);
    const c = new pg.Client({ connectionString: app.url });
    await c.connect();
    const mode = (await c.query<{ m: string }>(`SELECT current_setting('archive_mode') AS m`)).rows[0]!.m;
    await c.end();
    const env = parseRollout(rollout(`{ stanza: cc, repoPath: ${dir}/repo, pgData: ${dir}/pg }`, app.url), 'r.yaml').environments['s']!;
    const off = await checkWalArchive('s', env, ccPaths(), 3000);
    assert.equal(off.result, 'fail');
    // the machine's shared server does not archive into this stanza, whatever its archive_mode
    assert.match(off.detail, mode === 'off' ? /^archive_mode is off/ : /^archive_command is .*not pgBackRest's for this stanza/);
    assert.equal((off.evidence as { stanza: string }).stanza, 'cc');
  });

  test('a backup reads the WAL position in its snapshot statement; the first mark of a release wins', async () => {
    const c = new pg.Client({ connectionString: app.url });
    await c.connect();
    await c.query('CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)');
    const lsnBefore = (await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l;
    await c.end();
    const b = await createBackup({ store: scratch.store, env: 's', databaseUrl: app.url, dir });
    const p = b.walPosition!;
    assert.match(p.lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.ok(lsnValue(p.lsn) >= lsnValue(lsnBefore));
    assert.match(p.walFile, /^[0-9A-F]{24}$/);
    assert.equal(p.timeline, parseInt(p.walFile.slice(0, 8), 16));
    assert.equal(typeof p.exact, 'boolean');
    const release = await createRelease(scratch.store, { env: 's', ref: 'v1', strategy: 'canary', startedBy: 't', phase: 'pre-deployment', previousVersion: null });
    const first = await recordWalMark(scratch.store, { releaseId: release.id, env: 's', backupId: b.id, position: p });
    const again = await recordWalMark(scratch.store, { releaseId: release.id, env: 's', backupId: null, position: { ...p, lsn: '0/1' } });
    assert.deepEqual(again, first);
    assert.equal((await getWalMark(scratch.store, release.id))?.lsn, p.lsn);
    const target = await resolveTarget(`release:${release.id}`, scratch.store, 's');
    assert.equal(target.kind === 'lsn' && target.lsn, p.lsn);
    await assert.rejects(resolveTarget(`release:${release.id}`, scratch.store, 'other'), /ran in environment s, not other: add --env s/);
  });
});
