import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { howItEnded, runChecked } from '../command/index.js';

// The web app is built by its own Vite config inside the worktree. CC_VERSION stamps the
// release version into the page; CC_WEB_OUT_DIR sends the output straight into the artifact.

const CONFIGS = ['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs'];

/** Builds apps/web into outDir/web; returns null, or a note when the ref has no web app. */
export async function buildWeb(worktree: string, outDir: string, version: string): Promise<{ dir: string | null; note?: string }> {
  const webDir = join(worktree, 'apps/web');
  if (!CONFIGS.some((c) => existsSync(join(webDir, c)))) {
    return { dir: null, note: 'web: this ref has no apps/web Vite config; the artifact has no web assets' };
  }
  const target = join(outDir, 'web');
  await runChecked(
    { argv: ['npx', '--no-install', 'vite', 'build', '--logLevel', 'warn'], cwd: webDir, env: { CC_VERSION: version, CC_WEB_OUT_DIR: target, NODE_ENV: 'production' } },
    { code: 'build_failed', explain: (r, c) => `vite build failed (${howItEnded(c, r)}): ${r.output.trim().slice(-4000)}` },
  );
  return { dir: 'web' };
}
