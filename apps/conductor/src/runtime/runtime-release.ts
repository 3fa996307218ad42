import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildArtifact } from '../artifacts/build.js';
import { loadArtifact, type Artifact } from '../artifacts/store.js';
import type { CcPaths } from '../paths.js';
import { migrateUp } from './migrate.js';
import { readActiveVersion, writeActiveVersion } from './runtime-state.js';

// Which release `ccr up` runs, and its schema: the version asked for, else the active one,
// else HEAD (built on the spot); then that artifact's migrations, so the instances start on
// the schema they expect.

export async function prepareRelease(paths: CcPaths, version: string | undefined, databaseUrl: string, onProgress: (line: string) => void): Promise<Artifact> {
  const artifact = await resolveArtifact(paths, version, onProgress);
  writeActiveVersion(paths, artifact.version);
  onProgress(`migrating the database with ${artifact.version}'s migrations`);
  const { applied } = await migrateUp(artifact, databaseUrl);
  onProgress(applied ? `applied ${applied} migration(s)` : 'schema already up to date');
  return artifact;
}

async function resolveArtifact(paths: CcPaths, version: string | undefined, onProgress: (line: string) => void): Promise<Artifact> {
  if (version) return loadArtifact(paths.artifacts, version);
  const active = readActiveVersion(paths);
  if (active && existsSync(join(paths.artifacts, active, 'manifest.json'))) return loadArtifact(paths.artifacts, active);
  onProgress('no active release yet: building HEAD');
  const built = await buildArtifact({ repo: paths.projectRoot, ref: 'HEAD', artifactsDir: paths.artifacts, onProgress: (l) => onProgress(`build: ${l}`) });
  return loadArtifact(paths.artifacts, built.version);
}
