import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A private PostgreSQL 15 cluster from Debian's binaries, for tests that change server settings
// (archive_mode, restarts) the shared server on 5432 must never see. We are root, and
// PostgreSQL refuses to run as root, so everything runs as the postgres user; the socket lives
// in the test's own folder and the port is a free one.

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresUser {
  uid: number;
  gid: number;
}

export async function postgresUser(): Promise<PostgresUser> {
  const [u, g] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function asPostgres(bin: string, args: string[], user: PostgresUser): Promise<string> {
  const r = await run(join(PG_BIN, bin), args, { uid: user.uid, gid: user.gid, cwd: '/', env: { ...process.env, LC_ALL: 'C' } });
  return r.stdout;
}

export interface Cluster {
  dataDir: string;
  port: number;
  socketDir: string;
  /** As postgres over TCP (trust). */
  url(db?: string): string;
  stop(): Promise<void>;
}

/** initdb + start. `dir` must be traversable by postgres; the data directory is created inside it. */
export async function startCluster(dir: string, user: PostgresUser, settings: Record<string, string> = {}): Promise<Cluster> {
  const dataDir = join(dir, 'data');
  const port = await freePort();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, user.uid, user.gid);
  // --no-sync: the test's disk safety is not what is tested, and it saves seconds
  await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], user);
  const conf = {
    port: String(port), listen_addresses: "'127.0.0.1'", unix_socket_directories: `'${dir}'`, fsync: 'off', autovacuum: 'off',
    max_wal_size: "'256MB'", ...settings,
  };
  writeFileSync(join(dataDir, 'postgresql.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n', { flag: 'a' });
  await asPostgres('pg_ctl', ['start', '-D', dataDir, '-l', join(dir, 'postgres.log'), '-w', '-t', '120'], user);
  return {
    dataDir, port, socketDir: dir,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    stop: () => stopCluster(dataDir, user),
  };
}

/** Stops a cluster if one runs in dataDir (immediate: tests throw their clusters away). */
export async function stopCluster(dataDir: string, user: PostgresUser): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  await asPostgres('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '60'], user).catch(() => undefined);
}
