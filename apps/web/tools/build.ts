// Builds the web app into apps/web/dist, or reuses the build when its inputs have not changed.
// Tests and the benchmark use ensureCachedBuild (an immutable folder per inputs hash); parallel
// callers (test files run in parallel) take a lock so one builds and the others reuse it.
//
//   tsx apps/web/tools/build.ts            build now
//   tsx apps/web/tools/build.ts --if-stale build only when sources or version changed
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WEB_ROOT, resolveWebVersion } from './version.js';

export const DEFAULT_DIST = resolve(WEB_ROOT, 'dist');
const CACHE_DIR = resolve(WEB_ROOT, '../../node_modules/.cache/cc-web');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'tools/version.ts', 'package.json'];
const LOCK_STALE_MS = 180_000;
/** Bump when the way this file builds changes, so older builds count as stale. */
const RECIPE = 2;

export interface WebBuild {
  dist: string;
  version: string;
  /** False when an up-to-date build was reused. */
  built: boolean;
}

function listFiles(path: string, out: string[]): string[] {
  if (!existsSync(path)) return out;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) listFiles(join(path, name), out);
  } else out.push(path);
  return out;
}

/** sha256 over every input file's path and content, plus the version that will be stamped. */
export function inputsHash(version: string): string {
  const h = createHash('sha256').update(`recipe:${RECIPE}\nversion:${version}\n`);
  for (const file of INPUTS.flatMap((p) => listFiles(resolve(WEB_ROOT, p), []))) {
    h.update(`${relative(WEB_ROOT, file)}\n`).update(readFileSync(file)).update('\n');
  }
  return h.digest('hex');
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = join(CACHE_DIR, 'build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A builder that died leaves its lock behind; a build never takes this long.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // removed by its owner meanwhile
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function runVite(outDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  // vite's package.json does not export its bin, so find the package and join the path.
  const viteBin = join(dirname(createRequire(join(WEB_ROOT, 'package.json')).resolve('vite/package.json')), 'bin/vite.js');
  return new Promise((done, fail) => {
    let output = '';
    const child = spawn(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], {
      cwd: WEB_ROOT,
      // Always a production build: the test runner sets NODE_ENV=test, which would otherwise
      // give React's development build.
      env: { ...env, NODE_ENV: 'production', CC_WEB_OUT_DIR: outDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`vite build failed (exit ${code}):\n${output}`))));
  });
}

/** Builds into a temporary folder and swaps it into place, so a reader never sees half a build. */
async function buildInto(dist: string, env: NodeJS.ProcessEnv): Promise<void> {
  const tmp = join(CACHE_DIR, `out-${process.pid}-${Date.now()}`);
  await runVite(tmp, env);
  const old = `${tmp}-old`;
  if (existsSync(dist)) renameSync(dist, old);
  mkdirSync(dirname(dist), { recursive: true });
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
}

/**
 * The build in apps/web/dist (or `dist`). With `ifStale`, an existing build whose inputs hash
 * matches is reused.
 */
export async function ensureWebBuild(opts: { ifStale?: boolean; dist?: string; env?: NodeJS.ProcessEnv } = {}): Promise<WebBuild> {
  const env = opts.env ?? process.env;
  const dist = opts.dist ?? DEFAULT_DIST;
  const version = resolveWebVersion(env);
  const hash = inputsHash(version);
  const stampFile = join(CACHE_DIR, `stamp-${createHash('sha256').update(dist).digest('hex').slice(0, 12)}.json`);
  const fresh = () => {
    try {
      return existsSync(join(dist, 'index.html')) && (JSON.parse(readFileSync(stampFile, 'utf8')) as { hash: string }).hash === hash;
    } catch {
      return false;
    }
  };
  if (opts.ifStale && fresh()) return { dist, version, built: false };
  return withLock(async () => {
    if (opts.ifStale && fresh()) return { dist, version, built: false };
    await buildInto(dist, env);
    writeFileSync(stampFile, JSON.stringify({ hash, version, builtAt: new Date().toISOString() }));
    return { dist, version, built: true };
  });
}

const KEEP_CACHED_BUILDS_MS = 6 * 3600_000;

/**
 * A build that never changes under its reader: it lives in a folder named by its inputs hash,
 * so tests and benchmarks keep serving the files they started with even when someone rebuilds
 * apps/web/dist or commits (a new version) while they run. Old folders are pruned after hours.
 */
export async function ensureCachedBuild(env: NodeJS.ProcessEnv = process.env): Promise<WebBuild> {
  const version = resolveWebVersion(env);
  const hash = inputsHash(version).slice(0, 20);
  const buildsDir = join(CACHE_DIR, 'builds');
  const dist = join(buildsDir, hash);
  if (existsSync(join(dist, 'index.html'))) return { dist, version, built: false };
  return withLock(async () => {
    if (existsSync(join(dist, 'index.html'))) return { dist, version, built: false };
    await buildInto(dist, env);
    for (const name of readdirSync(buildsDir)) {
      const p = join(buildsDir, name);
      if (name !== hash && Date.now() - statSync(p).mtimeMs > KEEP_CACHED_BUILDS_MS) rmSync(p, { recursive: true, force: true });
    }
    return { dist, version, built: true };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const started = Date.now();
  const r = await ensureWebBuild({ ifStale: process.argv.includes('--if-stale') });
  process.stdout.write(`${r.built ? 'built' : 'up to date:'} ${relative(process.cwd(), r.dist) || '.'} (version ${r.version}) in ${Date.now() - started} ms\n`);
}
