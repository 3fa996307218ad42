import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CcrError } from '../errors.js';
import { MANIFEST_FILE, readManifest, type ArtifactManifest } from './manifest.js';

// Read side of .cc/artifacts: what the supervisor and the engine look artifacts up with.

export interface Artifact {
  version: string;
  dir: string;
  manifest: ArtifactManifest;
}

export function loadArtifact(artifactsDir: string, version: string): Artifact {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(version)) throw new CcrError('usage', `not a release version: "${version}"`);
  const dir = join(artifactsDir, version);
  if (!existsSync(join(dir, MANIFEST_FILE))) throw new CcrError('not_found', `no artifact ${version} in ${artifactsDir} (build it with \`ccr build <ref>\`)`);
  return { version, dir, manifest: readManifest(dir) };
}

/** Complete artifacts (temp folders of running builds are skipped), oldest commit first. */
export function listArtifacts(artifactsDir: string): Artifact[] {
  if (!existsSync(artifactsDir)) return [];
  return readdirSync(artifactsDir)
    .filter((name) => !name.startsWith('.') && existsSync(join(artifactsDir, name, MANIFEST_FILE)))
    .map((name) => loadArtifact(artifactsDir, name))
    .sort((a, b) => a.manifest.builtAt.localeCompare(b.manifest.builtAt) || a.version.localeCompare(b.version));
}

export function findArtifactByCommit(artifactsDir: string, commit: string): Artifact | null {
  return listArtifacts(artifactsDir).find((a) => a.manifest.commit === commit) ?? null;
}
