import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256Text } from './manifest.js';

// A CycloneDX 1.5 SBOM of what the artifact runs with: every non-dev package of the ref's
// package-lock.json, with its purl and the lockfile's integrity hash. Written from the lockfile
// rather than by `npm sbom`, which refuses this repository (EINVALIDPURLTYPE: the workspace
// root has no version) and would need the registry for nothing. It is derived only from the
// commit, so a rebuild gives the same bytes, and it sits inside the artifact, hashed in the
// manifest like every other file, so verify-artifact also proves it was not swapped.

export const SBOM_FILE = 'sbom.cdx.json';

interface LockEntry { version?: string; dev?: boolean; link?: boolean; integrity?: string; license?: string; resolved?: string }

const purl = (name: string, version: string) => `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;

function hashOf(integrity: string | undefined): Array<{ alg: string; content: string }> {
  const m = integrity?.match(/^sha(512|384|256|1)-(.+)$/);
  if (!m) return [];
  const alg = m[1] === '1' ? 'SHA-1' : `SHA-${m[1]}`;
  return [{ alg, content: Buffer.from(m[2]!, 'base64').toString('hex') }];
}

export function cycloneDxFromLock(lockText: string, meta: { version: string; commit: string; builtAt: string }): Record<string, unknown> {
  const packages = (JSON.parse(lockText) as { packages?: Record<string, LockEntry> }).packages ?? {};
  const seen = new Set<string>();
  const components: Array<Record<string, unknown>> = [];
  for (const [key, entry] of Object.entries(packages).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.includes('node_modules/') || entry.dev || entry.link || !entry.version) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const ref = purl(name, entry.version);
    if (seen.has(ref)) continue;
    seen.add(ref);
    components.push({
      type: 'library',
      'bom-ref': ref,
      name,
      version: entry.version,
      purl: ref,
      ...(hashOf(entry.integrity).length ? { hashes: hashOf(entry.integrity) } : {}),
      ...(entry.license ? { licenses: [{ expression: entry.license }] } : {}),
    });
  }
  const h = sha256Text(`${meta.commit}\n${lockText}`);
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`,
    version: 1,
    metadata: {
      timestamp: meta.builtAt,
      tools: { components: [{ type: 'application', name: 'ccr', version: '0.1.0' }] },
      component: { type: 'application', 'bom-ref': `cc-webapp@${meta.version}`, name: 'cc-webapp', version: meta.version, properties: [{ name: 'git:commit', value: meta.commit }] },
    },
    components,
  };
}

/** Writes sbom.cdx.json into the artifact folder being assembled; false when the ref has no lockfile. */
export function writeSbom(worktree: string, out: string, meta: { version: string; commit: string; builtAt: string }): boolean {
  const lock = join(worktree, 'package-lock.json');
  if (!existsSync(lock)) return false;
  writeFileSync(join(out, SBOM_FILE), canonicalJson(cycloneDxFromLock(readFileSync(lock, 'utf8'), meta)));
  return true;
}
