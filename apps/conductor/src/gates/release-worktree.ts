import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addWorktree, installDependencies, removeWorktree } from '../artifacts/worktree.js';
import { INSTALL_ROOT } from '../paths.js';

// CI, the audit and SAST look at the release candidate itself, never the working copy: a
// throwaway worktree of its commit, with dependencies the way the artifact build gets them.

export async function withReleaseWorktree<T>(repo: string, commit: string, work: (dir: string) => Promise<T>, o: { dependencies?: boolean } = {}): Promise<T> {
  const parent = mkdtempSync(join(tmpdir(), 'ccr-gate-'));
  const dir = join(parent, 'src');
  try {
    await addWorktree(repo, commit, dir);
    if (o.dependencies !== false) await installDependencies(dir, INSTALL_ROOT);
    return await work(dir);
  } finally {
    await removeWorktree(repo, dir).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
  }
}
