import { resolveRef } from '../artifacts/git.js';
import { loadArtifact } from '../artifacts/store.js';
import { verifyArtifact } from '../artifacts/verify.js';
import { getEnvState } from '../store/releases.js';
import { check, fromChecks, type Gate } from './types.js';

// The artifact and rollback-readiness gates as preflight sees them, before a release exists:
// the same facts gate.artifact and gate.rollback-readiness check in a deploy (steps/), read
// from the artifact store and the environment's recorded active version.

export const artifactGate: Gate = async (input) => {
  const ref = await resolveRef(input.repo, input.ref);
  let artifact;
  try {
    artifact = loadArtifact(input.artifactsDir, ref.version);
  } catch {
    return fromChecks([check('artifact', 'fail', `${input.ref} (${ref.version}) is not built: ccr build ${input.ref}`, { version: ref.version, commit: ref.commit })]);
  }
  const evidence = { version: artifact.manifest.version, commit: artifact.manifest.commit, builtAt: artifact.manifest.builtAt, files: Object.keys(artifact.manifest.files).length };
  if (artifact.manifest.commit !== ref.commit) {
    return fromChecks([check('artifact', 'fail', `artifact ${ref.version} was built from ${artifact.manifest.commit.slice(0, 12)}, but ${input.ref} is ${ref.commit.slice(0, 12)}`, evidence)]);
  }
  const v = await verifyArtifact(input.artifactsDir, ref.version);
  if (!v.ok) {
    const problems = [...v.changed.map((f) => `${f} changed`), ...v.missing.map((f) => `${f} missing`), ...v.extra.map((f) => `${f} not in the manifest`)];
    return fromChecks([check('artifact', 'fail', `artifact ${ref.version} does not match its manifest: ${problems.slice(0, 5).join('; ')}`, { ...evidence, problems })]);
  }
  return fromChecks([check('artifact', 'pass', `artifact ${ref.version} (${ref.commit.slice(0, 12)}) built; ${v.checked} files match their sha256`, evidence)]);
};

export const rollbackReadinessGate: Gate = async (input) => {
  const state = await getEnvState(input.store, input.envName);
  const stable = state.activeVersion;
  if (!stable) return fromChecks([check('rollback-readiness', 'pass', `first release of ${input.envName}: there is no earlier version to roll back to`, { stable: null })]);
  try {
    loadArtifact(input.artifactsDir, stable);
  } catch {
    return fromChecks([check('rollback-readiness', 'fail', `the artifact of the stable version ${stable} is missing, so a rollback could not start it`, { stable })]);
  }
  const v = await verifyArtifact(input.artifactsDir, stable);
  if (!v.ok) return fromChecks([check('rollback-readiness', 'fail', `the artifact of the stable version ${stable} is damaged (${[...v.changed, ...v.missing, ...v.extra].slice(0, 3).join(', ')})`, { stable })]);
  return fromChecks([check('rollback-readiness', 'pass', `rollback target ${stable}: artifact present and verified (${v.checked} files)`, { stable, previous: state.previousVersion })]);
};
