import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CcrError } from '../errors.js';

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
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], {
      cwd: webDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CC_VERSION: version, CC_WEB_OUT_DIR: target, NODE_ENV: 'production' },
    });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new CcrError('build_failed', 'cannot run vite', { cause: err })));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CcrError('build_failed', `vite build failed (exit ${code}): ${output.trim()}`))));
  });
  return { dir: 'web' };
}
