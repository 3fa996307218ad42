import { readFileSync } from 'node:fs';
import { CcrError } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { isAlive } from '../supervisor/process-control.js';
import { databaseUrlFile, readActiveVersion, readRuntime } from './runtime-state.js';

// One wording for "the local environment is stopped", whoever notices it: `ccr status`, and
// every command whose store lives on the local runtime's PostgreSQL (which is down with it),
// so `ccr rollback` says what `ccr status` says instead of a bare ECONNREFUSED.

export function notRunningMessage(environment: string, activeVersion: string | null): string {
  return `environment ${environment}: not running (active release ${activeVersion ?? 'none'}); start it with \`npx ccr up\``;
}

/** The runtime process recorded in runtime.json is alive. */
export function runtimeAlive(paths: CcPaths): boolean {
  const rt = readRuntime(paths);
  return rt !== null && isAlive(rt.pid);
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * A failure to reach the store, restated when the store lives on the local runtime's
 * database server and that runtime is stopped; any other failure is returned as it was.
 */
export function explainStoreFailure(err: unknown, storeUrl: string, paths: CcPaths): unknown {
  let runtimeDb: string;
  try {
    runtimeDb = readFileSync(databaseUrlFile(paths), 'utf8').trim();
  } catch {
    return err;
  }
  if (!(err instanceof CcrError && err.code === 'store_failed') || hostOf(runtimeDb) !== hostOf(storeUrl) || runtimeAlive(paths)) return err;
  return new CcrError('not_found', notRunningMessage('local', readActiveVersion(paths)), { cause: err, details: { running: false } });
}
