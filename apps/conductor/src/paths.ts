import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONDUCTOR_ROOT } from './conductor-root.js';

// Where the conductor keeps its local state. Everything lives under one `.cc/` folder of the
// project (gitignored); CCR_HOME moves it elsewhere, which tests use so they never touch a
// developer's real artifacts, secrets or running environment.

/** The checkout the conductor itself runs from (its node_modules, the router source). */
export const INSTALL_ROOT = resolve(CONDUCTOR_ROOT, '../..');

export interface CcPaths {
  /** The git checkout whose refs are built (CCR_PROJECT_ROOT, else the enclosing git repo). */
  projectRoot: string;
  home: string;
  artifacts: string;
  runtime: string;
  logs: string;
  secrets: string;
  pg: string;
  router: string;
}

export function projectRoot(cwd = process.cwd()): string {
  const fromEnv = process.env['CCR_PROJECT_ROOT'];
  if (fromEnv) return resolve(fromEnv);
  // What `git rev-parse --show-toplevel` answers, without starting git on every command: the
  // nearest folder holding .git (a folder, or a file in a linked worktree).
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return INSTALL_ROOT;
  }
}

export function ccPaths(root = projectRoot(), home = process.env['CCR_HOME'] ? resolve(process.env['CCR_HOME']) : join(root, '.cc')): CcPaths {
  return {
    projectRoot: root,
    home,
    artifacts: join(home, 'artifacts'),
    runtime: join(home, 'runtime'),
    logs: join(home, 'runtime', 'logs'),
    secrets: join(home, 'secrets'),
    pg: join(home, 'pg'),
    router: join(home, 'router'),
  };
}
