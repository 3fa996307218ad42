// One temp folder per test run. The runner points TMPDIR at it, so every temp folder a test
// (or a tool it starts: git, PostgreSQL, Chromium) makes lands inside it, and what is still
// there when the run ends was left by this run and nothing else: other runs on a shared
// machine have their own folder, so nothing outside the run can cause a false failure.
// It is world-writable with the sticky bit, like /tmp, because tests hand folders to other
// users (the embedded PostgreSQL runs as `postgres` when we are root).
// `.cache/` inside it is for caches the test files of one run share on purpose (an artifact
// built once per run); it goes with the folder and is not counted as left behind.
// tsx keeps its compile cache in TMPDIR/tsx-<euid>: that name links to the system temp
// folder's, so every run (and every process tsx starts) reuses one cache as before.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE_NAME = '.cache';
const TSX_CACHE = `tsx-${process.geteuid?.() ?? 'user'}`;

/** Makes the run's folder under `parent` (the system temp folder), with its cache folder. */
export function createRunTmp(parent) {
  const dir = mkdtempSync(join(parent, 'cc-run-'));
  chmodSync(dir, 0o1777);
  mkdirSync(join(dir, CACHE_NAME), { mode: 0o1777 });
  chmodSync(join(dir, CACHE_NAME), 0o1777);
  const tsxCache = join(parent, TSX_CACHE);
  mkdirSync(tsxCache, { recursive: true, mode: 0o700 });
  symlinkSync(tsxCache, join(dir, TSX_CACHE));
  return dir;
}

/** Names this project's code gives its temp folders: left behind, they are a test's defect. */
export const PROJECT_PREFIX = /^(cc|ccr|ccf)[-_]/;

/**
 * What a run left in its folder, apart from the shared cache, tsx's cache and the runner's own
 * `keep` names: `ours` (project names: a test or our code did not clean up; fails the run) and
 * `tools` (named by a tool a test ran, e.g. a browser profile: reported, and removed with the
 * folder, but not counted, since the name alone does not say which test to fix).
 */
export function leftovers(dir, keep = []) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return { ours: [], tools: [] };
  }
  const left = names.filter((n) => n !== CACHE_NAME && n !== TSX_CACHE && !keep.includes(n)).sort();
  return { ours: left.filter((n) => PROJECT_PREFIX.test(n)), tools: left.filter((n) => !PROJECT_PREFIX.test(n)) };
}

export function removeRunTmp(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
