import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CcrError } from '../errors.js';
import { hashTree, readManifest } from './manifest.js';

export interface VerifyResult {
  version: string;
  dir: string;
  ok: boolean;
  checked: number;
  /** Listed in the manifest with another sha256. */
  changed: string[];
  /** Listed in the manifest, not on disk. */
  missing: string[];
  /** On disk, not in the manifest. */
  extra: string[];
}

/** Rehashes every file of an artifact against its manifest. */
export async function verifyArtifact(artifactsDir: string, version: string): Promise<VerifyResult> {
  const dir = join(artifactsDir, version);
  if (!existsSync(dir)) throw new CcrError('not_found', `no artifact ${version} in ${artifactsDir}`);
  const manifest = readManifest(dir);
  const actual = await hashTree(dir);
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [file, sha] of Object.entries(manifest.files)) {
    if (!(file in actual)) missing.push(file);
    else if (actual[file] !== sha) changed.push(file);
  }
  const extra = Object.keys(actual).filter((f) => !(f in manifest.files));
  return { version, dir, ok: !changed.length && !missing.length && !extra.length, checked: Object.keys(manifest.files).length, changed, missing, extra };
}
