import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildArtifact, type BuildResult } from '../src/artifacts/build.js';
import { INSTALL_ROOT } from '../src/paths.js';

// Shared by the artifact, supervisor and `up` tests: a scratch clone of this repository (so
// no test reads or writes the developer's .cc/), one artifact build per commit shared by
// the test files through a cache folder (the build lock makes concurrent builders wait),
// and a throwaway database on the machine's PostgreSQL.

export const CCR_BIN = join(INSTALL_ROOT, 'apps/conductor/bin/ccr.mjs');
const ADMIN_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// The run's shared cache (scripts/test.mjs removes it with the run), or the temp folder when a file runs alone.
const CACHE = join(process.env['CC_TEST_CACHE'] ?? tmpdir(), 'ccr-test-artifact-cache');

// Removed when the test file's process exits, passed or failed (scripts/lib/temp-dir.ts).
export { tempDir } from '../../../scripts/lib/temp-dir.js';

/** A clone of the committed HEAD of this repository. */
export function scratchRepo(parent: string): string {
  const repo = join(parent, 'repo');
  execFileSync('git', ['clone', '--quiet', '--local', '--no-checkout', INSTALL_ROOT, repo]);
  execFileSync('git', ['-C', repo, 'config', 'user.email', 'test@example.invalid']);
  execFileSync('git', ['-C', repo, 'config', 'user.name', 'ccr test']);
  return repo;
}

/** HEAD of the scratch repo built once into the shared cache; old cache entries are pruned. */
export async function sharedArtifact(repo: string): Promise<BuildResult> {
  mkdirSync(CACHE, { recursive: true });
  for (const name of readdirSync(CACHE)) {
    const p = join(CACHE, name);
    if (!name.startsWith('.') && Date.now() - statSync(p).mtimeMs > 6 * 3600_000) rmSync(p, { recursive: true, force: true });
  }
  return buildArtifact({ repo, ref: 'HEAD', artifactsDir: CACHE });
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ccr_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (async, so the test's own servers keep answering). */
export function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? INSTALL_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `ccr ...` with the scratch repo as project and `home` as its .cc folder. */
export function ccr(args: string[], ctx: { repo: string; home: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, CCR_PROJECT_ROOT: ctx.repo, CCR_HOME: ctx.home, ...ctx.env };
  delete env['NODE_OPTIONS'];
  return run(process.execPath, [CCR_BIN, ...args], { env });
}
