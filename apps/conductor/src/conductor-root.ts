import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The conductor's package folder, found by walking up from this module to the package.json
// named @cc/conductor. Paths computed relative to import.meta.url would differ between the
// TypeScript source (run by tsx) and the bundled CLI in dist/, which sit at other depths.
function findConductorRoot(from: string): { dir: string; version: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@cc/conductor') return { dir, version: pkg.version ?? '0.0.0' };
    } catch {
      // no package.json here: keep walking
    }
    if (dirname(dir) === dir) throw new Error(`cannot find @cc/conductor's package.json above ${from}`);
  }
}

const found = findConductorRoot(dirname(fileURLToPath(import.meta.url)));

/** apps/conductor: holds bin/, migrations/ and package.json. */
export const CONDUCTOR_ROOT = found.dir;
export const CONDUCTOR_VERSION = found.version;
