import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrationFiles } from '@cc/pg-migrate';
import { CcrError } from '../errors.js';
import { INSTALL_ROOT } from '../paths.js';
import { isAlive } from '../command/index.js';
import { withBuildLock } from './build-lock.js';
import { bundleApi } from './bundle-api.js';
import { resolveRef } from './git.js';
import { MANIFEST_FILE, canonicalJson, hashTree, readManifest, sha256Text, type ArtifactManifest } from './manifest.js';
import { writeSbom } from './sbom.js';
import { buildWeb } from './web-assets.js';
import { addWorktree, installDependencies, removeWorktree, type DependencyMode } from './worktree.js';

// `ccr build <ref>`: ref -> immutable .cc/artifacts/<version>/. The artifact is assembled in a
// temp folder beside its final place and renamed in one step, so a killed build never
// leaves a half artifact, and a finished one is never rebuilt.

export interface BuildOptions {
  /** The git repository holding the ref. */
  repo: string;
  ref: string;
  artifactsDir: string;
  /** Checkout whose installed node_modules the worktree may reuse (default: the conductor's). */
  depsRoot?: string;
  onProgress?: (line: string) => void;
}

export interface BuildResult {
  version: string;
  commit: string;
  dir: string;
  /** false when a complete artifact for this commit already existed. */
  built: boolean;
  durationMs: number;
  dependencies?: DependencyMode;
  manifest: ArtifactManifest;
}

export async function buildArtifact(opts: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const ref = await resolveRef(opts.repo, opts.ref);
  const dir = join(opts.artifactsDir, ref.version);
  const existing = () => {
    if (!existsSync(join(dir, MANIFEST_FILE))) return null;
    const manifest = readManifest(dir);
    if (manifest.commit !== ref.commit) {
      throw new CcrError('artifact_invalid', `artifact ${ref.version} already exists for commit ${manifest.commit}, not ${ref.commit}; artifacts are immutable`);
    }
    return { version: ref.version, commit: ref.commit, dir, built: false, durationMs: Date.now() - started, manifest };
  };
  const done = existing();
  if (done) return done;

  mkdirSync(opts.artifactsDir, { recursive: true });
  removeStaleTemps(opts.artifactsDir);
  return withBuildLock(join(opts.artifactsDir, `.build-${ref.version}.lock`), (pid) => progress(`waiting for another build of ${ref.version} (pid ${pid})`), async () => {
    const raced = existing();
    if (raced) return raced;
    const tmp = join(opts.artifactsDir, `.tmp-${ref.version}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const worktree = join(mkdtempSync(join(tmpdir(), 'ccr-build-')), 'src');
    try {
      progress(`checking out ${ref.commit.slice(0, 12)} (${ref.version}) into a clean worktree`);
      await addWorktree(opts.repo, ref.commit, worktree);
      progress('installing dependencies');
      const dependencies = await installDependencies(worktree, opts.depsRoot ?? INSTALL_ROOT);
      progress(`dependencies: ${dependencies}`);
      progress('bundling the API (esbuild)');
      const api = await bundleApi(worktree, tmp);
      progress('building the web app (vite)');
      const web = await buildWeb(worktree, tmp, ref.version);
      progress('collecting migrations and hashing files');
      const migrations = copyMigrations(worktree, tmp);
      const sbom = writeSbom(worktree, tmp, { version: ref.version, commit: ref.commit, builtAt: ref.committedAt });
      const manifest: ArtifactManifest = {
        formatVersion: 1,
        version: ref.version,
        commit: ref.commit,
        builtAt: ref.committedAt,
        node: process.version,
        entrypoints: api.entrypoints,
        web: web.dir,
        migrationsDir: 'migrations',
        migrations,
        files: await hashTree(tmp),
        notes: [...api.notes, ...(web.note ? [web.note] : []), ...(sbom ? [] : ['no package-lock.json: no SBOM'])],
      };
      writeFileSync(join(tmp, MANIFEST_FILE), canonicalJson(manifest));
      renameSync(tmp, dir);
      progress(`artifact ${ref.version} ready in ${dir}`);
      return { version: ref.version, commit: ref.commit, dir, built: true, durationMs: Date.now() - started, dependencies, manifest };
    } finally {
      await removeWorktree(opts.repo, worktree);
      rmSync(join(worktree, '..'), { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

function copyMigrations(worktree: string, out: string): ArtifactManifest['migrations'] {
  const src = join(worktree, 'apps/api/migrations');
  const dst = join(out, 'migrations');
  mkdirSync(dst, { recursive: true });
  if (!existsSync(src)) return [];
  for (const name of readdirSync(src).filter((f) => f.endsWith('.sql')).sort()) copyFileSync(join(src, name), join(dst, name));
  let files;
  try {
    files = loadMigrationFiles(dst);
  } catch (err) {
    throw new CcrError('build_failed', `the ref's migrations are invalid: ${(err as Error).message}`, { cause: err });
  }
  return files.map((m) => {
    const base = `${String(m.version).padStart(4, '0')}_${m.name}`;
    return {
      version: m.version,
      name: m.name,
      sha256: m.sha256,
      up: `migrations/${base}.up.sql`,
      down: `migrations/${base}.down.sql`,
      downSha256: sha256Text(m.downSql),
      noTransaction: m.noTransaction,
    };
  });
}

/** Temp folders of builds that were killed (their pid is gone). */
function removeStaleTemps(artifactsDir: string): void {
  for (const name of readdirSync(artifactsDir)) {
    const m = /^\.tmp-.+-(\d+)$/.exec(name);
    if (m && !isAlive(Number(m[1]))) rmSync(join(artifactsDir, name), { recursive: true, force: true });
  }
}
