import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalJson, hashTree, MANIFEST_FILE } from '../src/artifacts/manifest.js';
import { cycloneDxFromLock, SBOM_FILE } from '../src/artifacts/sbom.js';
import { runGate } from '../src/gates/index.js';
import { judge } from '../src/gates/record.js';
import { testSummary } from '../src/gates/run-command.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { git, TINY_LOCK, tinyRepo, write } from './fixtures/gates/tiny-repo.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The release-candidate gates that read the candidate itself: CI in a worktree of its commit,
// the security sign-off (recorded audit, SAST, the artifact's SBOM) and the artifact's hashes.

const dir = tempDir('ccr-gates-rc-');
const repo = tinyRepo(join(dir, 'repo'));
const artifactsDir = join(dir, 'artifacts');
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/gates/${name}`, import.meta.url));
let commit = '';

/** An artifact folder the way `ccr build` leaves it: files, the SBOM, a manifest hashing both. */
async function fakeArtifact(version: string, sbom: boolean): Promise<string> {
  const out = join(artifactsDir, version);
  mkdirSync(join(out, 'api'), { recursive: true });
  writeFileSync(join(out, 'api/server.mjs'), 'console.log("tiny");\n');
  if (sbom) writeFileSync(join(out, SBOM_FILE), canonicalJson(cycloneDxFromLock(TINY_LOCK, { version, commit, builtAt: '2026-11-27T00:00:00.000Z' })));
  const manifest = {
    formatVersion: 1, version, commit, builtAt: '2026-11-27T00:00:00.000Z', node: process.version,
    entrypoints: { server: 'api/server.mjs', migrate: 'api/server.mjs' }, web: null, migrationsDir: 'migrations', migrations: [],
    files: await hashTree(out), notes: [],
  };
  writeFileSync(join(out, MANIFEST_FILE), canonicalJson(manifest));
  return out;
}

before(async () => {
  commit = git(repo, 'rev-parse', 'v1.0.0-rc.1');
  // a candidate whose tests fail, and one with eval in its source
  git(repo, 'checkout', '-q', '-b', 'broken');
  write(repo, 'test/sum.test.mjs', "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('one', () => assert.equal(1 + 1, 2));\ntest('two', () => assert.equal(2 + 2, 5));\n");
  write(repo, 'apps/api/src/calc.ts', 'export const calc = (expr: string): unknown => eval(expr);\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'broken');
  git(repo, 'tag', 'v1.0.0-rc.2');
  git(repo, 'checkout', '-q', 'main');
  await fakeArtifact('v1.0.0-rc.1', true);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('CI green', () => {
  test('the test command runs in a worktree of the candidate and records "N passed, N failed"', async () => {
    // the working copy is broken on purpose: CI must test the tag's commit, not it
    write(repo, 'test/sum.test.mjs', 'throw new Error("working copy, not the release");\n');
    try {
      const out = await runGate('ci', gateInput({ repo, ref: 'v1.0.0-rc.1', gates: { ci: { command: { run: 'node --test --test-reporter=tap test/', timeout: '60s' } } } }));
      assert.equal(out.result, 'pass', out.summary);
      assert.equal(out.summary, 'ci: 2 passed, 0 failed');
      assert.equal(out.checks[0]!.evidence!['commit'], commit);
    } finally {
      git(repo, 'checkout', '--', 'test/sum.test.mjs');
    }
  });

  test('a failing test fails the gate with the summary; a hook reads CI status; nothing configured cannot be checked', async () => {
    const bad = await runGate('ci', gateInput({ repo, ref: 'v1.0.0-rc.2', gates: { ci: { command: { run: 'node --test --test-reporter=tap test/', timeout: '60s' } } } }));
    assert.equal(bad.result, 'fail');
    assert.match(bad.summary, /^ci: exited 1: 1 passed, 1 failed$/);
    const hook = await runGate('ci', gateInput({ repo, ref: 'v1.0.0-rc.1', gates: { ci: { hook: { run: 'echo "pipeline $CCR_COMMIT: 412 passed, 0 failed"', timeout: '10s' } } } }));
    assert.equal(hook.summary, 'ci: 412 passed, 0 failed');
    const red = await runGate('ci', gateInput({ repo, ref: 'v1.0.0-rc.1', gates: { ci: { hook: { run: 'echo "status: failure"; exit 3', timeout: '10s' } } } }));
    assert.equal(red.summary, 'ci: exited 3: status: failure');
    assert.equal((await runGate('ci', gateInput({ repo }))).result, 'cannot-check');
  });

  test('summaries of the common test runners', () => {
    assert.deepEqual(testSummary('# tests 3\n# pass 3\n# fail 0\n'), { passed: 3, failed: 0, line: '3 passed, 0 failed' });
    assert.deepEqual(testSummary('ℹ pass 10\nℹ fail 2\n'), { passed: 10, failed: 2, line: '10 passed, 2 failed' });
    assert.equal(testSummary('Tests:       1 failed, 41 passed, 42 total')?.line, '41 passed, 1 failed');
    assert.equal(testSummary('no numbers here'), null);
  });
});

describe('security sign-off', () => {
  const security = (ref: string, audit: string, extra: Record<string, unknown> = {}) =>
    runGate('security', gateInput({ repo, ref, artifactsDir, gates: { audit: { reportFile: fixture(audit) }, sast: { paths: ['apps/api/src'] }, ...extra } }));

  test('clean audit, clean source and an SBOM in the artifact: pass', async () => {
    const out = await security('v1.0.0-rc.1', 'npm-audit-clean.json');
    assert.equal(out.result, 'pass', out.summary);
    assert.deepEqual(out.checks.map((c) => [c.name, c.result]), [['dependency-audit', 'pass'], ['sast', 'pass'], ['sbom', 'pass']]);
    assert.match(out.checks[2]!.detail, /^CycloneDX 1.5 with 1 components, stored in artifact v1.0.0-rc.1/);
  });

  test('a recorded audit with a critical finding fails the gate; eval in the release fails SAST; no artifact, no SBOM', async () => {
    const out = await security('v1.0.0-rc.2', 'npm-audit-critical.json');
    assert.equal(out.result, 'fail');
    const by = Object.fromEntries(out.checks.map((c) => [c.name, c]));
    assert.match(by['dependency-audit']!.detail, /critical 2, high 1.*minimist \(critical, GHSA-xvch-5gv4-984h\)/);
    assert.match(by['sast']!.detail, /security\/detect-eval-with-expression at apps\/api\/src\/calc.ts:1/);
    assert.match(by['sbom']!.detail, /no artifact v1.0.0-rc.2/);
  });

  test('the registry\'s 405 is cannot-check; a DAST hook failing fails the gate', async () => {
    const out = await security('v1.0.0-rc.1', 'npm-audit-405.json', { dast: { hook: { run: 'echo "ZAP: 1 high alert"; exit 2', timeout: '10s' } } });
    assert.equal(out.result, 'fail');
    const by = Object.fromEntries(out.checks.map((c) => [c.name, c]));
    assert.equal(by['dependency-audit']!.result, 'cannot-check');
    assert.match(by['dependency-audit']!.detail, /405 Method Not Allowed/);
    assert.match(by['dast']!.detail, /hook exited 2: ZAP: 1 high alert/);
    const noDast = await security('v1.0.0-rc.1', 'npm-audit-405.json');
    assert.equal(noDast.result, 'cannot-check');
    // acceptance by check: the audit may go unchecked, SAST may not
    const accept = (gate: string) => gateInput({ acceptCannotCheck: [{ gate, reason: 'the audit endpoint answers 405 here' }] }).env;
    assert.deepEqual(judge(noDast, accept('security.dependency-audit')).acceptance, { reason: 'the audit endpoint answers 405 here' });
    assert.equal(judge(noDast, accept('security.sast')).blocks, true);
    assert.equal(judge(noDast, gateInput().env).blocks, true);
  });

  test('an artifact built without an SBOM fails the SBOM check', async () => {
    git(repo, 'tag', 'v1.0.0-nosbom', 'v1.0.0-rc.1');
    await fakeArtifact('v1.0.0-nosbom', false);
    const out = await security('v1.0.0-nosbom', 'npm-audit-clean.json');
    assert.match(out.summary, /sbom: artifact v1.0.0-nosbom has no sbom.cdx.json in its manifest/);
  });
});

describe('artifact', () => {
  test('built and verified passes; an edited file fails; an unbuilt ref fails', async () => {
    git(repo, 'tag', 'v1.0.0-art', 'v1.0.0-rc.1');
    const out = await fakeArtifact('v1.0.0-art', true);
    const ok = await runGate('artifact', gateInput({ repo, ref: 'v1.0.0-art', artifactsDir }));
    assert.equal(ok.result, 'pass', ok.summary);
    assert.match(ok.summary, /artifact v1.0.0-art \([0-9a-f]{12}\) built; 2 files match their sha256/);
    writeFileSync(join(out, 'api/server.mjs'), 'console.log("patched on the server");\n');
    assert.match((await runGate('artifact', gateInput({ repo, ref: 'v1.0.0-art', artifactsDir }))).summary, /does not match its manifest: api\/server.mjs changed/);
    assert.match((await runGate('artifact', gateInput({ repo, ref: 'v1.0.0-rc.2', artifactsDir }))).summary, /is not built: ccr build v1.0.0-rc.2/);
  });
});

describe('final code review through a hook', () => {
  test('the hook\'s exit code decides; without a hook the review is the plan\'s manual sign-off', async () => {
    const review = (run: string) => runGate('review', gateInput({ repo, ref: 'v1.0.0-rc.1', gates: { review: { hook: { run, timeout: '10s' } } } }));
    const ok = await review('echo "PR #42 approved by 2 reviewers for $CCR_REF"');
    assert.equal(ok.result, 'pass');
    assert.match(ok.summary, /approved by 2 reviewers for v1.0.0-rc.1/);
    const missing = await review('echo "changes requested"; exit 1');
    assert.equal(missing.result, 'fail');
    assert.match(missing.summary, /review hook exited 1: changes requested/);
    assert.equal((await runGate('review', gateInput({ repo }))).result, 'cannot-check');
  });
});
