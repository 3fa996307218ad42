import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CcPaths } from '../paths.js';
import type { RouterProcessInfo } from './router-process.js';

// .cc/runtime/runtime.json: how to reach a running `ccr up` (its pid and control API), and
// what it started, so `ccr status`, `ccr deploy` and `ccr down` work from any other process
// and `ccr down` can still reap everything if the runtime itself was killed.

export interface RuntimeRecord {
  pid: number;
  startedAt: string;
  environment: string;
  /** Loopback control API; its bearer token is in .cc/runtime/control-token (0600). */
  controlUrl: string | null;
  router: RouterProcessInfo | null;
  /** The release controller the runtime hosts (ccr server), when it runs one. */
  controller?: { pid: number; envs: string[] } | null;
  database: { mode: 'embedded' | 'external'; pid: number | null; display: string };
  /** The version `ccr up` starts when told nothing else; the engine updates it on promotion. */
  activeVersion: string | null;
  /** Ready once every instance answered /health/ready and the router routes to them. */
  phase: 'starting' | 'ready' | 'stopping';
}

export function runtimeFile(paths: CcPaths): string {
  return join(paths.runtime, 'runtime.json');
}

export function supervisorStateFile(paths: CcPaths): string {
  return join(paths.runtime, 'supervisor.json');
}

/** The database URL of the running environment (0600; it may hold a password). */
export function databaseUrlFile(paths: CcPaths): string {
  return join(paths.runtime, 'database-url');
}

export function readRuntime(paths: CcPaths): RuntimeRecord | null {
  try {
    return JSON.parse(readFileSync(runtimeFile(paths), 'utf8')) as RuntimeRecord;
  } catch {
    return null;
  }
}

export function writeRuntime(paths: CcPaths, record: RuntimeRecord): void {
  mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  const tmp = `${runtimeFile(paths)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, runtimeFile(paths));
}

export function clearRuntime(paths: CcPaths): void {
  rmSync(runtimeFile(paths), { force: true });
}

/** A database URL without its password, for status output and logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Survives `ccr down` (runtime.json does not): the version the next `ccr up` starts. */
export function readActiveVersion(paths: CcPaths): string | null {
  try {
    return readFileSync(join(paths.runtime, 'active-version'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function writeActiveVersion(paths: CcPaths, version: string): void {
  mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  writeFileSync(join(paths.runtime, 'active-version'), `${version}\n`, { mode: 0o600 });
}
