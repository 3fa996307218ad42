import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { resolveRef } from '../artifacts/git.js';
import { SBOM_FILE } from '../artifacts/sbom.js';
import { loadArtifact } from '../artifacts/store.js';
import { judgeAudit, parseAuditOutput, runNpmAudit } from './npm-audit.js';
import { withReleaseWorktree } from './release-worktree.js';
import { loadRiskAcceptances } from './risk-acceptance.js';
import { asWritten } from '../command/index.js';
import { runGateCommand, tail } from './run-command.js';
import { check, fromChecks, type CheckOutcome, type Gate, type GateInput } from './types.js';

// Security sign-off (seed I.1): dependency audit, SAST, the artifact's SBOM, and DAST through a
// hook. Audit and SAST read the release commit in a throwaway worktree; the risk-acceptance file
// is read from that commit too, so an acceptance is reviewed like code.

const fromRoot = (root: string, p: string) => (isAbsolute(p) ? p : join(root, p));

async function sbomCheck(input: GateInput, version: string): Promise<CheckOutcome> {
  let artifact;
  try {
    artifact = loadArtifact(input.artifactsDir, version);
  } catch (err) {
    return check('sbom', 'fail', `no artifact ${version} to hold the SBOM: ${(err as Error).message}`);
  }
  if (!artifact.manifest.files[SBOM_FILE]) return check('sbom', 'fail', `artifact ${version} has no ${SBOM_FILE} in its manifest (built before SBOMs, or without a lockfile); rebuild it`);
  try {
    const bom = JSON.parse(readFileSync(join(artifact.dir, SBOM_FILE), 'utf8')) as { bomFormat?: string; specVersion?: string; components?: unknown[] };
    if (bom.bomFormat !== 'CycloneDX' || !Array.isArray(bom.components)) return check('sbom', 'fail', `${SBOM_FILE} of ${version} is not a CycloneDX document`);
    return check('sbom', 'pass', `CycloneDX ${bom.specVersion} with ${bom.components.length} components, stored in artifact ${version} (sha256 ${artifact.manifest.files[SBOM_FILE]!.slice(0, 12)})`, {
      file: join(artifact.dir, SBOM_FILE), components: bom.components.length, sha256: artifact.manifest.files[SBOM_FILE],
    });
  } catch (err) {
    return check('sbom', 'fail', `${SBOM_FILE} of ${version} cannot be read: ${(err as Error).message}`);
  }
}

export const securityGate: Gate = async (input) => {
  const g = input.gates;
  const ref = await resolveRef(input.repo, input.ref);
  const now = input.now();
  const checks = await withReleaseWorktree(input.repo, ref.commit, async (dir) => {
    const out: CheckOutcome[] = [];
    const acceptances = loadRiskAcceptances(fromRoot(dir, g.audit.acceptFile));
    const auditText = g.audit.reportFile ? readFileSync(fromRoot(input.repo, g.audit.reportFile), 'utf8') : await runNpmAudit(dir, g.connectTimeout * 12);
    const parsed = parseAuditOutput(auditText);
    out.push(parsed.ok
      ? judgeAudit(parsed.report, g.audit.failOn, acceptances, now)
      : check('dependency-audit', 'cannot-check', parsed.reason, { source: g.audit.reportFile ?? 'npm audit --json --package-lock-only' }));
    if (g.sast) {
      const paths = g.sast.paths.filter((p) => existsSync(join(dir, p)));
      try {
        // eslint and its parser take a second to load: only when SAST runs
        const { DEFAULT_FAIL_RULES, judgeSast, runSast } = await import('./sast.js');
        out.push(judgeSast(await runSast(dir, paths), g.sast.failRules ?? DEFAULT_FAIL_RULES, acceptances, now));
      } catch (err) {
        out.push(check('sast', 'cannot-check', `eslint could not run: ${(err as Error).message}`));
      }
    } else {
      out.push(check('sast', 'cannot-check', 'SAST is not configured (gates.sast)'));
    }
    return out;
  }, { dependencies: false });
  checks.push(await sbomCheck(input, ref.version));
  if (g.dast) {
    const r = await runGateCommand(g.dast.hook.run, { cwd: input.repo, timeoutMs: g.dast.hook.timeout, env: { CCR_REF: input.ref, CCR_COMMIT: ref.commit, CCR_ENV: input.envName } });
    const evidence = { command: asWritten(g.dast.hook.run), exitCode: r.exitCode, durationMs: r.durationMs, output: tail(r.output) };
    checks.push(r.exitCode === 0 ? check('dast', 'pass', `hook exited 0 in ${r.durationMs} ms`, evidence)
      : r.exitCode === null && !r.timedOut ? check('dast', 'cannot-check', `hook could not run: ${tail(r.output, 1)}`, evidence)
        : check('dast', 'fail', r.timedOut ? `hook timed out after ${g.dast.hook.timeout} ms` : `hook exited ${r.exitCode}: ${tail(r.output, 1)}`, evidence));
  }
  return fromChecks(checks);
};
