// npm run bench:pitr — point-in-time recovery with pgBackRest on a private PostgreSQL 15 cluster
// (Debian's binaries, run as postgres), side by side in one run:
//   restore_s: `ccr pitr restore` of a ~100 MB database (BENCH_PITR_MB) to a time: pgBackRest
//     restore + pg_ctl start + WAL recovery until promoted; against pg_restore -j 2 of a
//     `pg_dump -Fc` of the same database into a new database (restore_vs_pg_restore = ratio).
//   archive_lag_s: under a steady write load, the time from a probe transaction's commit to the
//     WAL segment holding it being archived (pg_stat_archiver.last_archived_wal reaching
//     pg_walfile_name(pg_current_wal_insert_lsn()) read right after the commit), polled every
//     50 ms; archive_timeout stays at the configured 60 s, so segments are closed by filling up.
//   archive_push_s: the same, right after pg_switch_wal(): what archive-push itself costs.
// The last line is one JSON object.
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseRollout } from '../src/config/index.js';
import { ccPaths } from '../src/paths.js';
import { backupPitr, resolveLayout, restorePitr, setupPitr } from '../src/pitr/index.js';
import { postgresUser, startCluster, stopCluster, type Cluster, type PostgresUser } from '../test/support/pg-cluster.js';

const run = promisify(execFile);
const SIZE_MB = Number(process.env['BENCH_PITR_MB'] ?? 100);
const LOAD_CLIENTS = 4;
const log = (s: string) => process.stderr.write(`${s}\n`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function q<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
}

/** Seconds from each probe's commit to its segment being archived, while `load` writes. */
async function archiveLag(url: string, probes: number, everyMs: number, switchAfter: boolean): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const pending: Array<{ seg: string; at: number }> = [];
  const lags: number[] = [];
  try {
    for (let i = 0; i < probes; i++) {
      await c.query(`INSERT INTO probe VALUES (${i})`);
      const at = performance.now();
      const seg = (await c.query<{ s: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS s')).rows[0]!.s;
      if (switchAfter) await c.query('SELECT pg_switch_wal()');
      pending.push({ seg, at });
      const until = performance.now() + everyMs;
      while (performance.now() < until || (switchAfter && pending.length)) {
        const last = (await c.query<{ w: string | null }>('SELECT last_archived_wal AS w FROM pg_stat_archiver')).rows[0]!.w ?? '';
        while (pending.length && last >= pending[0]!.seg) lags.push((performance.now() - pending.shift()!.at) / 1000);
        await delay(50);
      }
    }
    const deadline = performance.now() + 180_000;
    while (pending.length && performance.now() < deadline) {
      const last = (await c.query<{ w: string | null }>('SELECT last_archived_wal AS w FROM pg_stat_archiver')).rows[0]!.w ?? '';
      while (pending.length && last >= pending[0]!.seg) lags.push((performance.now() - pending.shift()!.at) / 1000);
      await delay(50);
    }
  } finally {
    await c.end();
  }
  return lags;
}

function startLoad(url: string): { stop(): Promise<number> } {
  let running = true;
  let txs = 0;
  const workers = Array.from({ length: LOAD_CLIENTS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      while (running) {
        await c.query(`INSERT INTO load (v) SELECT repeat(md5(random()::text), 30) FROM generate_series(1, 50)`);
        txs++;
      }
    } finally {
      await c.end();
    }
  });
  return { stop: async () => { running = false; await Promise.all(workers); return txs; } };
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'ccr-bench-pitr-'));
  const user: PostgresUser = await postgresUser();
  chownSync(base, user.uid, user.gid);
  let live: Cluster | null = null;
  const restored = join(base, 'restored');
  const cleanup = async () => {
    await stopCluster(restored, user);
    if (live) await stopCluster(live.dataDir, user);
    rmSync(base, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    live = await startCluster(join(base, 'live'), user, { shared_buffers: "'256MB'", max_wal_size: "'1GB'" });
    const dbUrl = live.url('bench');
    const yaml = `version: 1
defaultEnvironment: bench
environments:
  bench:
    target: { type: local }
    databaseUrl: ${dbUrl}
    pitr: { stanza: bench, repoPath: ${join(base, 'repo')}, pgData: ${live.dataDir}, processMax: 2, compressType: lz4 }
plan:
  - phase: pre-deployment
    steps:
      - { id: b, kind: automated, type: backup.create, title: b }
`;
    const env = parseRollout(yaml, 'bench.yaml').environments['bench']!;
    const paths = ccPaths(undefined, join(base, 'home'));
    await q(live.url(), 'CREATE DATABASE bench');
    log('pitr setup (restart for archive_mode)');
    await setupPitr({ env, envName: 'bench', paths, databaseUrl: dbUrl, restart: true });
    const layout = resolveLayout(env, 'bench', paths);

    // ~110 bytes a row with its index share: SIZE_MB of table and primary key.
    const rows = Math.round((SIZE_MB * 1024 * 1024) / 135);
    log(`filling bench with ${rows} rows (~${SIZE_MB} MB)`);
    await q(dbUrl, `CREATE TABLE t (id bigint PRIMARY KEY, a text, b text, at timestamptz);
      INSERT INTO t SELECT g, md5(g::text), md5((g * 7)::text), now() FROM generate_series(1, ${rows}) g;
      CREATE TABLE load (id bigserial PRIMARY KEY, v text); CREATE TABLE probe (i int); CHECKPOINT`);
    const dbMb = Number((await q<{ s: string }>(dbUrl, 'SELECT pg_database_size(current_database()) AS s'))[0]!.s) / 1024 / 1024;

    log('pgbackrest full backup');
    const [, backupS] = await timed(() => backupPitr(layout, 'full'));
    const dump = join(base, 'bench.dump');
    log('pg_dump -Fc');
    const [, dumpS] = await timed(() => run('pg_dump', ['-Fc', '-f', dump, '-d', dbUrl]));

    log('pg_restore -j 2 into a new database');
    await q(live.url(), 'CREATE DATABASE bench_restored');
    const [, pgRestoreS] = await timed(() => run('pg_restore', ['-j', '2', '--no-owner', '-d', live!.url('bench_restored'), dump]));
    await q(live.url(), 'DROP DATABASE bench_restored');

    log('ccr pitr restore to now into a new data directory and port');
    const to = new Date().toISOString();
    const store = { query: () => Promise.reject(new Error('a time target reads no store')) };
    const rep = await restorePitr({ layout, store, databaseUrl: dbUrl, to, dataDir: restored, stop: true, backupConfig: { sanityQueries: [] } });
    if (!rep.verification.ok) throw new Error(`restore verification failed: ${rep.verification.problems.join('; ')}`);
    if (rep.verification.counts['public.t'] !== rows) throw new Error(`restored ${rep.verification.counts['public.t']} rows of t, expected ${rows}`);
    const d = rep.durations;
    const restoreS = (d.restoreMs + d.startMs + d.recoveryMs) / 1000;
    log(`pgBackRest: restore ${d.restoreMs} ms, start ${d.startMs} ms, recovery ${d.recoveryMs} ms; pg_restore ${Math.round(pgRestoreS * 1000)} ms`);

    log(`archive lag under write load (${LOAD_CLIENTS} clients, 50 rows of ~1 KB a transaction)`);
    const lsn0 = (await q<{ l: string }>(dbUrl, 'SELECT pg_current_wal_insert_lsn()::text AS l'))[0]!.l;
    const t0 = performance.now();
    const load = startLoad(dbUrl);
    const lags = await archiveLag(dbUrl, 20, 1500, false);
    const pushes = await archiveLag(dbUrl, 5, 0, true);
    const loadS = (performance.now() - t0) / 1000;
    const txs = await load.stop();
    const walBytes = Number((await q<{ b: string }>(dbUrl, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '${lsn0}') AS b`))[0]!.b);

    const out = {
      restore_s: round(restoreS),
      pg_restore_s: round(pgRestoreS),
      restore_vs_pg_restore: round(restoreS / pgRestoreS),
      restore_parts_ms: { restore: d.restoreMs, start: d.startMs, recovery: d.recoveryMs },
      db_mb: round(dbMb, 1),
      pgbackrest_full_backup_s: round(backupS),
      pg_dump_s: round(dumpS),
      archive_lag_s: round(quantile(lags, 0.5)),
      archive_lag_p95_s: round(quantile(lags, 0.95)),
      archive_lag_max_s: round(Math.max(...lags)),
      archive_push_s: round(quantile(pushes, 0.5)),
      archive_lag_samples: lags.length,
      wal_mb_per_s: round(walBytes / 1024 / 1024 / loadS, 1),
      load_tx_per_s: round(txs / loadS, 1),
      archive_timeout_s: 60,
      archive_lag_definition: 'seconds from a probe commit to pg_stat_archiver.last_archived_wal >= pg_walfile_name(pg_current_wal_insert_lsn()) read right after it, polled every 50 ms, under 4 writing clients; archive_timeout 60 s; median (p95, max beside it); archive_push_s: the same right after pg_switch_wal()',
      restore_definition: 'restore_s: pgbackrest restore + pg_ctl start + recovery until promoted (a time target just after the full backup); pg_restore_s: pg_restore -j 2 of pg_dump -Fc of the same database into a new database; pgBackRest process-max 2, lz4',
      machine: 'shared 2-core host; figures are noisy',
    };
    console.log(JSON.stringify(out));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
