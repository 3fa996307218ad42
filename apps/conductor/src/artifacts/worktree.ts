import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { howItEnded, runChecked } from '../command/index.js';
import { git } from './git.js';

// The build never reads the working copy: it checks the commit out into a throwaway
// worktree. `npm ci` there takes minutes, so when the installed node_modules of the
// conductor's checkout already holds exactly what the ref's lockfile asks for, the worktree
// gets a node_modules made of symlinks into it instead. Workspace packages (@cc/*) are the
// exception: they link to the worktree's own copies, so the ref's source is what gets built.

export type DependencyMode = 'linked-identical-lock' | 'linked-compatible-lock' | 'npm-ci';

export async function addWorktree(repo: string, commit: string, dir: string): Promise<void> {
  await git(repo, ['worktree', 'prune']);
  await git(repo, ['worktree', 'add', '--detach', '--force', dir, commit]);
}

export async function removeWorktree(repo: string, dir: string): Promise<void> {
  try {
    await git(repo, ['worktree', 'remove', '--force', dir]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    await git(repo, ['worktree', 'prune']).catch(() => undefined);
  }
}

interface LockEntry { version?: string; link?: boolean; optional?: boolean }

function readLock(file: string): Record<string, LockEntry> | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { packages?: Record<string, LockEntry> }).packages ?? null;
  } catch {
    return null;
  }
}

/**
 * Where Node would find the lockfile entry `key` (e.g. apps/api/node_modules/x) in depsRoot:
 * the same place, or hoisted into an ancestor's node_modules.
 */
function resolveInstalled(depsRoot: string, key: string): string | null {
  const at = key.lastIndexOf('node_modules/');
  const name = key.slice(at + 'node_modules/'.length);
  let dir = join(depsRoot, key.slice(0, at));
  for (;;) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return file;
    if (relative(depsRoot, dir) === '') return null;
    dir = join(dir, '..');
  }
}

/** Every package the ref's lockfile installs is present at the same version in depsRoot. */
function lockSatisfied(lock: Record<string, LockEntry>, depsRoot: string): boolean {
  for (const [key, entry] of Object.entries(lock)) {
    if (!key.includes('node_modules/') || entry.link) continue;
    const pkgFile = resolveInstalled(depsRoot, key);
    if (!pkgFile) {
      if (entry.optional) continue; // another platform's binary
      return false;
    }
    try {
      if ((JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: string }).version !== entry.version) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Workspace folders of the worktree by package name, e.g. @cc/api -> apps/api. */
function workspaces(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const globs = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] }).workspaces ?? [];
  for (const glob of globs) {
    const parent = glob.replace(/\/\*$/, '');
    const dirs = glob.endsWith('/*') && existsSync(join(root, parent)) ? readdirSync(join(root, parent)).map((d) => `${parent}/${d}`) : [glob];
    for (const dir of dirs) {
      try {
        const name = (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name?: string }).name;
        if (name) out.set(name, dir);
      } catch {
        // not a package folder
      }
    }
  }
  return out;
}

function linkNodeModules(worktree: string, depsRoot: string): void {
  const src = join(depsRoot, 'node_modules');
  const dst = join(worktree, 'node_modules');
  const wsByName = workspaces(worktree);
  mkdirSync(dst, { recursive: true });
  for (const name of readdirSync(src)) {
    if (name === '.package-lock.json') continue;
    if (name.startsWith('@') && lstatSync(join(src, name)).isDirectory()) {
      mkdirSync(join(dst, name), { recursive: true });
      for (const sub of readdirSync(join(src, name))) {
        if (wsByName.has(`${name}/${sub}`)) continue;
        symlinkSync(join(src, name, sub), join(dst, name, sub));
      }
      continue;
    }
    if (wsByName.has(name)) continue;
    symlinkSync(join(src, name), join(dst, name));
  }
  for (const [name, dir] of wsByName) {
    const link = join(dst, name);
    mkdirSync(join(link, '..'), { recursive: true });
    if (!existsSync(link)) symlinkSync(relative(join(link, '..'), join(worktree, dir)), link);
    // Workspace-local installs (a version that could not be hoisted).
    const nested = join(depsRoot, dir, 'node_modules');
    if (existsSync(nested) && !existsSync(join(worktree, dir, 'node_modules'))) symlinkSync(nested, join(worktree, dir, 'node_modules'));
  }
}

async function npmCi(worktree: string): Promise<void> {
  await runChecked({ argv: ['npm', 'ci', '--no-audit', '--no-fund'], cwd: worktree }, {
    code: 'build_failed',
    explain: (r, c) => `npm ci failed in the build worktree (${howItEnded(c, r)}): ${r.stderr.trim().slice(-4000)}`,
  });
}

/** Gives the worktree its dependencies, as cheaply as correctness allows. */
export async function installDependencies(worktree: string, depsRoot: string): Promise<DependencyMode> {
  const wanted = readLock(join(worktree, 'package-lock.json'));
  const haveModules = existsSync(join(depsRoot, 'node_modules'));
  if (wanted && haveModules) {
    const mine = readFileSync(join(worktree, 'package-lock.json'), 'utf8');
    const theirs = existsSync(join(depsRoot, 'package-lock.json')) ? readFileSync(join(depsRoot, 'package-lock.json'), 'utf8') : '';
    if (mine === theirs) {
      linkNodeModules(worktree, depsRoot);
      return 'linked-identical-lock';
    }
    if (lockSatisfied(wanted, depsRoot)) {
      linkNodeModules(worktree, depsRoot);
      return 'linked-compatible-lock';
    }
  }
  await npmCi(worktree);
  return 'npm-ci';
}
