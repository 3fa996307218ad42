import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CcPaths } from '../paths.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { databaseUrlFile, displayUrl, type RuntimeRecord } from './runtime-state.js';

// The runtime's PostgreSQL: DATABASE_URL when set (the runtime neither starts nor stops it),
// else the embedded PostgreSQL 15 under .cc/pg, which the runtime starts, or adopts when a
// crashed runtime left it running, and stops on shutdown.

export interface RuntimeDatabase {
  url: string;
  mode: RuntimeRecord['database']['mode'];
  /** The embedded postmaster's pid; null for an external server. */
  pid: number | null;
  /** Stops the embedded server; nothing for an external one. */
  stop(): Promise<void>;
}

export async function startDatabase(paths: CcPaths, env: NodeJS.ProcessEnv, onProgress: (line: string) => void): Promise<RuntimeDatabase> {
  const external = env['DATABASE_URL'];
  let db: RuntimeDatabase;
  if (external) db = { url: external, mode: 'external', pid: null, stop: () => Promise.resolve() };
  else {
    onProgress(`starting embedded PostgreSQL 15 (data in ${paths.pg})`);
    const embedded = await startEmbeddedPostgres(paths.pg, join(paths.logs, 'postgres.log'));
    db = { url: embedded.url, mode: 'embedded', pid: embedded.pid, stop: () => embedded.stop() };
  }
  // For `npm run admin` and psql: the URL carries a password, so it goes to a 0600 file and
  // is never printed.
  writeFileSync(databaseUrlFile(paths), `${db.url}\n`, { mode: 0o600 });
  return db;
}

/** What runtime.json records about the database (never the password). */
export function databaseRecord(db: RuntimeDatabase): RuntimeRecord['database'] {
  return { mode: db.mode, pid: db.pid, display: displayUrl(db.url) };
}
