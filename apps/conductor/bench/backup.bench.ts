// npm run bench:backup — `ccr backup create` + `ccr backup verify` (the functions those commands
// run) against raw `pg_dump -Fc` + `pg_restore` of the same database, side by side in one run,
// on databases of about 10, 100 and 500 MB (BENCH_SIZES_MB=10,100 to choose). Prints MB/s and
// the overhead ratio per size; the last line is JSON with overhead_ratio_max (goal <= 1.2).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import { createBackup, createScratch, verifyBackup } from '../src/backup/index.js';
import { openStorePool } from '../src/store/index.js';

const run = promisify(execFile);
const ADMIN = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env['BENCH_SIZES_MB'] ?? '10,100,500').split(',').map(Number);
const JOBS = 2;
const API_MIGRATIONS = fileURLToPath(new URL('../../api/migrations', import.meta.url));

const url = (name: string) => {
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function query<T extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** The API's schema, then ledger rows in chunks of generate_series until the database reaches the size. */
async function seed(name: string, mb: number): Promise<number> {
  await query(ADMIN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await query(ADMIN, `CREATE DATABASE ${name}`);
  const db = url(name);
  await new Migrator({ databaseUrl: db, dir: API_MIGRATIONS }).up();
  await query(db, `INSERT INTO users (nickname, password_hash, balance) SELECT 'bench_' || g, 'x', 1000 FROM generate_series(1, 1000) g`);
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  let size = 0;
  try {
    for (;;) {
      size = Number((await c.query<{ s: string }>('SELECT pg_database_size(current_database()) AS s')).rows[0]!.s);
      log(`  seeding ${name}: ${(size / 1048576).toFixed(0)} / ${mb} MB`);
      if (size >= mb * 1048576) break;
      const rows = Math.max(20_000, Math.min(500_000, Math.ceil(((mb * 1048576 - size) / 190))));
      await c.query(
        `INSERT INTO ledger_entries (user_id, kind, amount, balance_after, ref_id)
         SELECT u.ids[1 + g % 1000], 'bet', -1 - (g % 50), 1000 + g % 997, md5(g::text) || md5((g * 7)::text)
           FROM generate_series(1, $1::int) g, (SELECT array_agg(id) AS ids FROM users) u`,
        [rows],
      );
    }
    await c.query('VACUUM ANALYZE');
  } finally {
    await c.end();
  }
  return size;
}

async function raw(db: string, dir: string): Promise<number> {
  const t0 = performance.now();
  const file = join(dir, 'raw.dump');
  await run('pg_dump', ['-Fc', '-f', file, db]);
  const scratch = await createScratch(db, 'bench_raw');
  try {
    await run('pg_restore', ['--exit-on-error', `--jobs=${JOBS}`, '--no-owner', '--no-privileges', '-d', scratch.url, file]);
  } finally {
    await scratch.drop();
  }
  rmSync(file, { force: true });
  return performance.now() - t0;
}

async function ccr(store: pg.Pool, db: string, dir: string): Promise<number> {
  const t0 = performance.now();
  const b = await createBackup({ store, env: 'bench', databaseUrl: db, dir });
  const v = await verifyBackup({ store, id: b.id, serverUrl: db, config: { jobs: JOBS, sanityQueries: [{ name: 'ledger', sql: 'SELECT count(*) > 0 FROM ledger_entries' }] } });
  const ms = performance.now() - t0;
  if (v.status !== 'verified') throw new Error(`verification failed: ${JSON.stringify(v.verifyResult)}`);
  rmSync(b.path, { force: true });
  rmSync(`${b.path}.sha256`, { force: true });
  return ms;
}

const storeName = `bench_ccr_store_${process.pid}`;
await query(ADMIN, `CREATE DATABASE ${storeName}`);
const store = await openStorePool(url(storeName));
const results: Array<{ size_mb: number; reps: number; raw_ms: number; ccr_ms: number; raw_mb_s: number; ccr_mb_s: number; overhead_ratio: number }> = [];
try {
  for (const mb of SIZES) {
    const name = `bench_backup_${mb}mb`;
    log(`database of ~${mb} MB`);
    const bytes = await seed(name, mb);
    const dir = mkdtempSync(join(tmpdir(), 'ccr-bench-'));
    const db = url(name);
    // Side by side, alternating, best of N (a shared 2-core machine is noisy; the small
    // databases are cheap to repeat, and their fixed costs are what noise distorts most).
    const rawMs: number[] = [];
    const ccrMs: number[] = [];
    const reps = mb <= 20 ? 5 : mb <= 150 ? 3 : 2;
    await raw(db, dir); // warm-up: the first read of a fresh database pays for the cache
    for (let i = 0; i < reps; i++) {
      // Alternate which side goes first, so neither always meets the colder cache.
      if (i % 2 === 0) {
        rawMs.push(await raw(db, dir));
        ccrMs.push(await ccr(store, db, dir));
      } else {
        ccrMs.push(await ccr(store, db, dir));
        rawMs.push(await raw(db, dir));
      }
    }
    // The ratio is the median of the per-pair ratios: a pair runs back to back, so a burst
    // of load from other work on the machine hits both sides of it alike.
    const r = median(rawMs);
    const c = median(ccrMs);
    const ratio = median(rawMs.map((x, k) => ccrMs[k]! / x));
    const sizeMb = bytes / 1048576;
    const row = { size_mb: Math.round(sizeMb), reps, raw_ms: Math.round(r), ccr_ms: Math.round(c), raw_mb_s: +(sizeMb / (r / 1000)).toFixed(1), ccr_mb_s: +(sizeMb / (c / 1000)).toFixed(1), overhead_ratio: +ratio.toFixed(3) };
    results.push(row);
    console.log(`${String(row.size_mb).padStart(5)} MB  raw pg_dump+pg_restore ${row.raw_ms} ms (${row.raw_mb_s} MB/s)  ccr create+verify ${row.ccr_ms} ms (${row.ccr_mb_s} MB/s)  overhead ${row.overhead_ratio}x (median of ${reps} pairs)`);
    rmSync(dir, { recursive: true, force: true });
    await query(ADMIN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
} finally {
  await store.end();
  await query(ADMIN, `DROP DATABASE IF EXISTS ${storeName} WITH (FORCE)`);
}
console.log(JSON.stringify({ bench: 'backup', jobs: JOBS, results, overhead_ratio_max: Math.max(...results.map((r) => r.overhead_ratio)), goal: 1.2 }));
