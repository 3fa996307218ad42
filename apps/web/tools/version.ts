import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEB_ROOT = resolve(import.meta.dirname, '..');

const VERSION_RE = /^[A-Za-z0-9._+-]{1,64}$/;

/**
 * The version stamped into a build: CC_VERSION (release builds set it), else the git short
 * sha, else package.json's version. It ends up in HTML, so it is kept to a safe character set.
 */
export function resolveWebVersion(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['CC_VERSION']?.trim();
  let version: string | undefined = fromEnv || undefined;
  if (!version) {
    try {
      version = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: WEB_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
    } catch {
      // Not a git checkout (e.g. a source tarball): fall back to the package version.
    }
  }
  version ??= (JSON.parse(readFileSync(resolve(WEB_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  if (!VERSION_RE.test(version)) {
    throw new Error(`CC_VERSION: "${version}" must be 1-64 characters of letters, digits, ".", "_", "+" or "-"`);
  }
  return version;
}
