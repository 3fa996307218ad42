import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cycloneDxFromLock } from '../src/artifacts/sbom.js';
import { judgeAudit, parseAuditOutput } from '../src/gates/npm-audit.js';
import { loadRiskAcceptances } from '../src/gates/risk-acceptance.js';
import { DEFAULT_FAIL_RULES, judgeSast, runSast } from '../src/gates/sast.js';
import { INSTALL_ROOT } from '../src/paths.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Security sign-off: the dependency audit parses a recorded `npm audit --json` (v2) with a
// critical finding, and the recorded 405 answer of this machine's registry; acceptances carry a
// reason and expire; SAST runs eslint-plugin-security over real files; the SBOM is CycloneDX.

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/gates/${name}`, import.meta.url)), 'utf8');
const dir = tempDir('ccr-audit-');
after(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2026-11-27T12:00:00Z');

function acceptFile(yaml: string): string {
  const f = join(dir, `accept-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

describe('dependency audit', () => {
  test('a recorded audit with a critical finding fails, naming the packages and advisories', () => {
    const parsed = parseAuditOutput(fixture('npm-audit-critical.json'));
    assert.ok(parsed.ok);
    const out = judgeAudit(parsed.report, ['critical', 'high'], [], now);
    assert.equal(out.result, 'fail');
    assert.match(out.detail, /^critical 2, high 1, moderate 1, low 0; not accepted: /);
    assert.match(out.detail, /minimist \(critical, GHSA-xvch-5gv4-984h\)/);
    // mkdirp is critical through minimist's advisory
    assert.match(out.detail, /mkdirp \(critical, GHSA-xvch-5gv4-984h\)/);
    assert.match(out.detail, /semver \(high, GHSA-c2qf-rxjj-qqgw\)/);
    assert.doesNotMatch(out.detail, /postcss/, 'moderate is below failOn');
  });

  test('findings accepted with a reason and a future expiry pass; an expired acceptance fails again', () => {
    const report = (parseAuditOutput(fixture('npm-audit-critical.json')) as { ok: true; report: Parameters<typeof judgeAudit>[0] }).report;
    const list = loadRiskAcceptances(acceptFile(`acceptances:
  - { id: GHSA-xvch-5gv4-984h, reason: "only reached by a build script, never with user input", expires: 2026-12-31 }
  - { id: semver, reason: "versions are parsed from our own lockfile only", expires: 2026-11-27 }
`));
    const ok = judgeAudit(report, ['critical', 'high'], list, now);
    assert.equal(ok.result, 'pass');
    assert.match(ok.detail, /3 accepted \(minimist, mkdirp, semver\)/);
    const findings = (ok.evidence!['findings'] as Array<{ package: string; accepted: { reason: string } | null }>);
    assert.equal(findings.find((f) => f.package === 'semver')!.accepted!.reason, 'versions are parsed from our own lockfile only');

    const later = judgeAudit(report, ['critical', 'high'], list, new Date('2026-11-28T00:00:01Z'));
    assert.equal(later.result, 'fail');
    assert.match(later.detail, /semver \(high, GHSA-c2qf-rxjj-qqgw, acceptance expired 2026-11-27\)/);
    assert.doesNotMatch(later.detail, /minimist/);
  });

  test('an acceptance without a reason or a date is refused', () => {
    assert.throws(() => loadRiskAcceptances(acceptFile('acceptances:\n  - { id: semver, reason: ok, expires: 2026-12-31 }\n')), /at least 10 characters/);
    assert.throws(() => loadRiskAcceptances(acceptFile('acceptances:\n  - { id: semver, reason: "a good enough reason", expires: next year }\n')), /YYYY-MM-DD/);
  });

  test('the registry\'s 405 answer (recorded on this machine) is cannot-check, and a clean report passes', () => {
    const r = parseAuditOutput(fixture('npm-audit-405.json'));
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /405 Method Not Allowed/);
    assert.equal(parseAuditOutput('npm ERR! something').ok, false);
    const clean = parseAuditOutput(fixture('npm-audit-clean.json'));
    assert.ok(clean.ok);
    assert.equal(judgeAudit(clean.report, ['critical', 'high'], [], now).result, 'pass');
  });

  test('the repository\'s own acceptance file parses', () => {
    const list = loadRiskAcceptances(join(INSTALL_ROOT, 'security/risk-acceptance.yaml'));
    for (const a of list) assert.ok(a.reason.length >= 10 && /^\d{4}-\d{2}-\d{2}$/.test(a.expires));
  });
});

describe('SAST with eslint-plugin-security', () => {
  const src = join(dir, 'release');
  mkdirSync(join(src, 'apps/api/src'), { recursive: true });
  writeFileSync(join(src, 'apps/api/src/handler.ts'), [
    'export function run(input: string): unknown {',
    '  return eval(input);',
    '}',
    'export const lookup = (o: Record<string, number>, k: string) => o[k];',
    '',
  ].join('\n'));
  writeFileSync(join(src, 'apps/api/src/safe.ts'), 'export const add = (a: number, b: number): number => a + b;\n');

  test('eval of input fails the gate; the object-injection heuristic is only reported', async () => {
    const findings = await runSast(src, ['apps/api/src']);
    const rules = findings.map((f) => f.rule);
    assert.ok(rules.includes('security/detect-eval-with-expression'), JSON.stringify(findings));
    assert.ok(rules.includes('security/detect-object-injection'), JSON.stringify(findings));
    const out = judgeSast(findings, DEFAULT_FAIL_RULES, [], now);
    assert.equal(out.result, 'fail');
    assert.match(out.detail, /security\/detect-eval-with-expression at apps\/api\/src\/handler.ts:2/);

    const accepted = judgeSast(findings, DEFAULT_FAIL_RULES, loadRiskAcceptances(acceptFile(`acceptances:
  - { id: security/detect-eval-with-expression, file: apps/api/src/handler.ts, reason: "input is a constant expression from our own config", expires: 2027-01-31 }
`)), now);
    assert.equal(accepted.result, 'pass');
    // accepted in another file does not count
    const elsewhere = judgeSast(findings, DEFAULT_FAIL_RULES, loadRiskAcceptances(acceptFile(`acceptances:
  - { id: security/detect-eval-with-expression, file: apps/api/src/safe.ts, reason: "a different file entirely", expires: 2027-01-31 }
`)), now);
    assert.equal(elsewhere.result, 'fail');
  });
});

describe('SBOM', () => {
  test('CycloneDX from the repository lockfile: production packages with purls and hashes, same bytes every time', () => {
    const lock = readFileSync(join(INSTALL_ROOT, 'package-lock.json'), 'utf8');
    const meta = { version: 'v1.0.0', commit: 'a'.repeat(40), builtAt: '2026-11-27T00:00:00.000Z' };
    const bom = cycloneDxFromLock(lock, meta) as { bomFormat: string; specVersion: string; serialNumber: string; components: Array<{ name: string; version: string; purl: string; hashes?: Array<{ alg: string; content: string }> }> };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.5');
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const packages = (JSON.parse(lock) as { packages: Record<string, { version?: string; dev?: boolean }> }).packages;
    const fastify = bom.components.find((c) => c.name === 'fastify');
    assert.ok(fastify, 'the API\'s runtime dependency is listed');
    assert.equal(fastify.version, packages['node_modules/fastify']!.version);
    assert.equal(fastify.purl, `pkg:npm/fastify@${fastify.version}`);
    assert.equal(fastify.hashes![0]!.alg, 'SHA-512');
    assert.match(fastify.hashes![0]!.content, /^[0-9a-f]{128}$/);
    const devOnly = Object.entries(packages).find(([k, v]) => k.startsWith('node_modules/') && v.dev)!;
    assert.ok(!bom.components.some((c) => c.name === devOnly[0].slice('node_modules/'.length)), `${devOnly[0]} is dev-only`);
    assert.ok(bom.components.some((c) => c.purl.startsWith('pkg:npm/%40')), 'scoped names are encoded');
    assert.deepEqual(cycloneDxFromLock(lock, meta), bom);
  });
});
