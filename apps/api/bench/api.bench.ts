// `npm run bench:api`: autocannon against the API running alone in a child process (as
// `npm run start:api` runs it) on a fresh database on the local PostgreSQL. Three loads:
// (a) GET /health/live, (b) POST /api/games/slots/spin across many users with distinct
// Idempotency-Keys, (c) GET /api/me. The machine has 2 cores shared by the API, PostgreSQL and
// the load generator, so ratios measured side by side matter more than absolute numbers.
// `spin_vs_before`: the same spin load against a second API process started with
// BENCH_BASELINE=true (the switch only this benchmark sets: no revocation check on each
// request), run in A-B-B-A order so neither side gets the emptier tables; the ratio is the
// cost of the features. The last line is one JSON object with every figure.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request as AcRequest, type Result } from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AccessTokens } from '../src/auth/access-token.js';
import { createTestDatabase } from '../test/support/test-db.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const USERS = Number(process.env['BENCH_USERS'] ?? 2000);
const POOL_MAX = process.env['BENCH_POOL_MAX'] ?? '12'; // the API's default DATABASE_POOL_MAX
/**
 * Directory of PostgreSQL's Unix socket for the API's connections (e.g. /var/run/postgresql);
 * unset means TCP to the host in the admin URL. On one host the socket skips the loopback TCP
 * stack, which the profile shows as the largest CPU cost of a play.
 */
const PG_SOCKET_DIR = process.env['BENCH_PG_SOCKET_DIR'] ?? '';
/** Comma-separated subset of live,spin,me to run (for profiling one load); all by default. */
const ONLY = (process.env['BENCH_ONLY'] ?? 'live,spin,me').split(',');
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 2);
const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** Extra node flags for the API process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it. */
const API_NODE_ARGS = (process.env['BENCH_API_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const BALANCE = 1_000_000_000_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function apiDatabaseUrl(url: string): string {
  if (!PG_SOCKET_DIR) return url;
  const u = new URL(url);
  u.searchParams.set('host', PG_SOCKET_DIR);
  return u.toString();
}

async function waitLive(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode} before it was live`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('API did not become live within 30 s');
}

/** CPU seconds (user + system) a process has used, from /proc; null where /proc is missing. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function sumCpu(pids: number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const c = cpuSeconds(pid);
    if (c === null) return null;
    total += c;
  }
  return total;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /**
   * CPU microseconds per request spent by the API process and by its PostgreSQL backends.
   * Unlike req/s these barely depend on what else the shared machine is doing.
   */
  apiCpuUs: number | null;
  pgCpuUs: number | null;
}

function figures(r: Result, apiCpu: number | null, pgCpu: number | null): Figures {
  const per = (cpu: number | null) => (cpu === null || r.requests.total === 0 ? null : Math.round((cpu * 1e6) / r.requests.total));
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    apiCpuUs: per(apiCpu),
    pgCpuUs: per(pgCpu),
  };
}

async function run(title: string, opts: autocannon.Options, duration: number): Promise<Result> {
  return autocannon({ connections: CONNECTIONS, duration, title, ...opts });
}

function print(label: string, f: Figures): void {
  const bad = f.non2xx + f.errors ? `  (non-2xx ${f.non2xx}, errors ${f.errors})` : '';
  const cpu = f.apiCpuUs === null ? '' : `   cpu/req api ${f.apiCpuUs} us, pg ${f.pgCpuUs ?? '?'} us`;
  console.log(`${label.padEnd(24)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms${cpu}${bad}`);
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ prefix: 'cc_bench' });
  const redisPrefix = `cc_bench_${randomBytes(4).toString('hex')}:`;
  let child: ChildProcess | null = null;
  let baseline: ChildProcess | null = null;
  try {
    // Users with big balances, inserted in bulk with their opening ledger rows so the books balance.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const users = await admin.query<{ id: string; nickname: string }>(
      `WITH u AS (
         INSERT INTO users (nickname, password_hash, balance)
         SELECT 'bench_' || g, 'not-a-real-hash', $2::bigint FROM generate_series(1, $1::int) g
         RETURNING id, nickname, balance)
       , l AS (INSERT INTO ledger_entries (user_id, kind, amount, balance_after, ref_id) SELECT id, 'adjustment', balance, balance, 'bench' FROM u)
       SELECT id, nickname FROM u`,
      [USERS, BALANCE],
    );
    const signer = new AccessTokens(JWT_SECRET, 900);
    const tokens = await Promise.all(users.rows.map((u) => signer.sign({ sub: u.id, nickname: u.nickname, role: 'player', synthetic: false, sid: randomUUID() })));

    const startApi = (port: number, extra: Record<string, string>) => spawn(process.execPath, [...API_NODE_ARGS, '--import', 'tsx', 'apps/api/src/bin/start-api.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        APP_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
        DATABASE_URL: apiDatabaseUrl(db.url),
        DATABASE_POOL_MAX: POOL_MAX,
        JWT_SECRET,
        REDIS_URL,
        REDIS_KEY_PREFIX: redisPrefix,
        KAFKA_BROKER: '',
        MIGRATE_ON_START: 'false',
        ...extra,
      },
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = startApi(port, {});
    const basePort = await freePort();
    const baseUrl = `http://127.0.0.1:${basePort}`;
    baseline = startApi(basePort, { BENCH_BASELINE: 'true' });
    await Promise.all([waitLive(url, child), waitLive(baseUrl, baseline)]);

    let next = 0;
    const rotate = (req: AcRequest, body?: string): AcRequest => {
      const i = next++ % tokens.length;
      req.headers = { ...req.headers, authorization: `Bearer ${tokens[i]}`, 'idempotency-key': randomUUID() };
      if (body !== undefined) req.body = body;
      return req;
    };
    const spinOpts: autocannon.Options = {
      url,
      requests: [
        {
          method: 'POST',
          path: '/api/games/slots/spin',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => rotate(req, '{"bet":10}'),
        },
      ],
    };
    const spinBeforeOpts: autocannon.Options = { ...spinOpts, url: baseUrl };
    const meOpts: autocannon.Options = { url, requests: [{ method: 'GET', path: '/api/me', setupRequest: (req) => rotate(req) }] };
    const liveOpts: autocannon.Options = { url: `${url}/health/live` };

    console.log(
      `cc-api bench: ${CONNECTIONS} connections, ${DURATION} s per load, ${USERS} users, pool ${POOL_MAX}, ${WARMUP} s warm-up each, PostgreSQL over ${PG_SOCKET_DIR ? `unix socket ${PG_SOCKET_DIR}` : 'TCP'}`,
    );
    const none: Figures = { rps: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, apiCpuUs: null, pgCpuUs: null };
    const results: Record<'live' | 'spin' | 'me' | 'before', Figures> = { live: none, spin: none, me: none, before: none };
    const measure = async (name: string, opts: autocannon.Options, pid: number, duration: number): Promise<Figures> => {
      const backends = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
      const api0 = cpuSeconds(pid);
      const pg0 = sumCpu(backends);
      const result = await run(name, opts, duration);
      const api1 = cpuSeconds(pid);
      const pg1 = sumCpu(backends);
      return figures(result, api0 === null || api1 === null ? null : api1 - api0, pg0 === null || pg1 === null ? null : pg1 - pg0);
    };
    /** Two half-length runs merged: request-weighted rates, the worse tail. */
    const merge = (a: Figures, b: Figures): Figures => ({
      rps: (a.rps + b.rps) / 2,
      p50: Math.max(a.p50, b.p50),
      p99: Math.max(a.p99, b.p99),
      non2xx: a.non2xx + b.non2xx,
      errors: a.errors + b.errors,
      apiCpuUs: a.apiCpuUs === null || b.apiCpuUs === null ? null : Math.round((a.apiCpuUs + b.apiCpuUs) / 2),
      pgCpuUs: a.pgCpuUs === null || b.pgCpuUs === null ? null : Math.round((a.pgCpuUs + b.pgCpuUs) / 2),
    });
    for (const [name, label, opts] of [
      ['live', '(a) GET /health/live', liveOpts],
      ['spin', '(b) POST slots/spin', spinOpts],
      ['me', '(c) GET /api/me', meOpts],
    ] as const) {
      if (!ONLY.includes(name)) continue;
      if (WARMUP > 0) await run(`${name}-warmup`, opts, WARMUP);
      if (name === 'spin') {
        // Side by side with the features off: A-B-B-A, half the duration each.
        if (WARMUP > 0) await run('before-warmup', spinBeforeOpts, WARMUP);
        const half = Math.max(1, Math.round(DURATION / 2));
        const a1 = await measure('spin', spinOpts, child.pid!, half);
        const b1 = await measure('before', spinBeforeOpts, baseline.pid!, half);
        const b2 = await measure('before', spinBeforeOpts, baseline.pid!, half);
        const a2 = await measure('spin', spinOpts, child.pid!, half);
        results.spin = merge(a1, a2);
        results.before = merge(b1, b2);
        print(label, results.spin);
        print('(b0) spin, features off', results.before);
        continue;
      }
      results[name] = await measure(name, opts, child.pid!, DURATION);
      print(label, results[name]);
    }

    // The books must still balance after the load.
    const check = await admin.query<{ users_total: number; ledger_total: number; plays: number }>(
      `SELECT (SELECT sum(balance) FROM users)::bigint AS users_total,
              (SELECT sum(amount) FROM ledger_entries)::bigint AS ledger_total,
              (SELECT count(*) FROM plays)::int AS plays`,
    );
    await admin.end();
    const books = check.rows[0]!;
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    console.log(`spin / live = ${ratio(results.spin.rps, results.live.rps)}   me / live = ${ratio(results.me.rps, results.live.rps)}   plays recorded ${books.plays}   ledger balanced ${books.users_total === books.ledger_total}`);
    console.log(
      JSON.stringify({
        bench: 'api',
        connections: CONNECTIONS,
        duration_s: DURATION,
        users: USERS,
        pool_max: Number(POOL_MAX),
        pg_transport: PG_SOCKET_DIR ? 'unix' : 'tcp',
        live_rps: Math.round(results.live.rps),
        live_p50_ms: results.live.p50,
        live_p99_ms: results.live.p99,
        spin_rps: Math.round(results.spin.rps),
        spin_p50_ms: results.spin.p50,
        spin_p99_ms: results.spin.p99,
        spin_non2xx: results.spin.non2xx,
        spin_errors: results.spin.errors,
        me_rps: Math.round(results.me.rps),
        me_p50_ms: results.me.p50,
        me_p99_ms: results.me.p99,
        me_non2xx: results.me.non2xx,
        live_api_cpu_us: results.live.apiCpuUs,
        spin_api_cpu_us: results.spin.apiCpuUs,
        spin_pg_cpu_us: results.spin.pgCpuUs,
        me_api_cpu_us: results.me.apiCpuUs,
        me_pg_cpu_us: results.me.pgCpuUs,
        loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
        spin_vs_live: ratio(results.spin.rps, results.live.rps),
        me_vs_live: ratio(results.me.rps, results.live.rps),
        plays_recorded: books.plays,
        ledger_balanced: books.users_total === books.ledger_total,
        spin_before_rps: Math.round(results.before.rps),
        spin_before_p99_ms: results.before.p99,
        spin_before_api_cpu_us: results.before.apiCpuUs,
        spin_vs_before: results.before.rps ? ratio(results.spin.rps, results.before.rps) : null,
        goal_met: results.spin.rps >= 1500 && results.spin.p99 < 50,
      }),
    );
  } finally {
    await Promise.all(
      [child, baseline].map(async (c) => {
        if (!c || c.exitCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (c.exitCode === null) c.kill('SIGKILL');
      }),
    );
    await db.drop();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
        cursor = nextCursor;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } catch {
      // Redis is optional for the API; nothing to clean when it is absent.
    } finally {
      redis.disconnect();
    }
  }
}

await main();
