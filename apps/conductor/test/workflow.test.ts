import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';

// The GitHub Actions workflow is not run here; this checks what GitHub would reject or what
// would make the release order wrong: it parses, references only known actions at a major
// version, every `needs` names a job, the jobs run in the order test -> images -> preflight
// -> staging -> production, production sits behind its protected environment, and secrets
// come only from the secrets context.

const root = new URL('../../../', import.meta.url).pathname;
const file = join(root, '.github/workflows/release.yml');
const text = readFileSync(file, 'utf8');

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { needs?: string[] | string; if?: string; environment?: string | { name: string; url?: string }; steps: Step[]; 'runs-on': string }
interface Workflow { name: string; on: Record<string, unknown>; jobs: Record<string, Job>; permissions?: Record<string, string> }

/** Actions that exist on GitHub, with the major versions we accept. */
const KNOWN_ACTIONS = new Set(['actions/checkout@v4', 'actions/setup-node@v4', 'actions/upload-artifact@v4', 'actions/download-artifact@v4']);

export function checkWorkflow(wf: Workflow): string[] {
  const problems: string[] = [];
  const jobs = Object.keys(wf.jobs ?? {});
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    if (!job['runs-on']) problems.push(`jobs.${name}: no runs-on`);
    for (const need of [job.needs ?? []].flat()) if (!jobs.includes(need)) problems.push(`jobs.${name}.needs: ${need} is not a job`);
    job.steps.forEach((step, i) => {
      if (!step.uses === !step.run) problems.push(`jobs.${name}.steps[${i}]: needs exactly one of uses or run`);
      if (step.uses && !KNOWN_ACTIONS.has(step.uses)) problems.push(`jobs.${name}.steps[${i}].uses: ${step.uses} is not a known action version`);
      for (const [k, v] of Object.entries(step.env ?? {})) {
        if (/(URL|SECRET|TOKEN|PASSWORD|BROKER|KUBECONFIG)$/.test(k) && !/^\$\{\{ secrets\.[A-Z_]+ \}\}$/.test(v)) problems.push(`jobs.${name}.steps[${i}].env.${k}: must come from secrets`);
      }
    });
  }
  // Every job must be reachable in dependency order (no cycles).
  const seen = new Set<string>();
  const visit = (j: string, path: string[]): void => {
    if (path.includes(j)) { problems.push(`jobs: cycle ${[...path, j].join(' -> ')}`); return; }
    if (seen.has(j)) return;
    seen.add(j);
    for (const n of [wf.jobs[j]?.needs ?? []].flat()) if (jobs.includes(n)) visit(n, [...path, j]);
  };
  for (const j of jobs) visit(j, []);
  return problems;
}

/** Every job that must finish before this one, transitively. */
function ancestors(wf: Workflow, job: string): Set<string> {
  const out = new Set<string>();
  const walk = (j: string) => { for (const n of [wf.jobs[j]!.needs ?? []].flat()) if (!out.has(n)) { out.add(n); walk(n); } };
  walk(job);
  return out;
}

describe('.github/workflows/release.yml', () => {
  const wf = parse(text) as Workflow;

  test('parses and passes the structural checks', () => {
    assert.deepEqual(checkWorkflow(wf), []);
    assert.deepEqual(Object.keys(wf.on).sort(), ['pull_request', 'push']);
    assert.deepEqual((wf.on['push'] as { tags: string[] }).tags, ['v*']);
    assert.equal(wf.permissions?.['contents'], 'read');
  });

  test('release order: test -> images (tags only) -> preflight -> staging -> production', () => {
    assert.deepEqual(Object.keys(wf.jobs), ['test', 'images', 'preflight', 'deploy-staging', 'deploy-production']);
    assert.deepEqual([...ancestors(wf, 'images')], ['test']);
    assert.deepEqual([...ancestors(wf, 'deploy-staging')].sort(), ['images', 'preflight', 'test']);
    assert.deepEqual([...ancestors(wf, 'deploy-production')].sort(), ['deploy-staging', 'images', 'preflight', 'test']);
    assert.equal(wf.jobs['images']!.if, "startsWith(github.ref, 'refs/tags/v')");
  });

  test('production is behind its protected environment; staging deploys to its own', () => {
    const env = (j: string) => { const e = wf.jobs[j]!.environment; return typeof e === 'string' ? e : e?.name; };
    assert.equal(env('deploy-production'), 'production');
    assert.equal(env('deploy-staging'), 'staging');
    const runs = (j: string) => wf.jobs[j]!.steps.map((s) => s.run ?? '').join('\n');
    assert.match(runs('test'), /^npm test$/m);
    assert.match(runs('images'), /npx ccr build "\$\{GITHUB_REF_NAME\}" --images/);
    assert.match(runs('preflight'), /npx ccr preflight .* --env staging/);
    assert.match(runs('deploy-staging'), /npx ccr deploy .* --env staging --yes/);
    assert.match(runs('deploy-production'), /npx ccr k8s deploy .* --env production --json \\\n\s+--api-image "\$\{\{ needs\.images\.outputs\.api_image \}\}" --web-image/);
    assert.match(runs('deploy-production'), /npx ccr k8s status --env production --json/);
  });

  test('the checks catch a broken copy', () => {
    const broken = (edit: (w: Workflow) => void) => { const w = parse(text) as Workflow; edit(w); return checkWorkflow(w); };
    assert.deepEqual(broken((w) => { w.jobs['deploy-production']!.needs = ['deploy-stage']; }), ['jobs.deploy-production.needs: deploy-stage is not a job']);
    assert.deepEqual(broken((w) => { w.jobs['test']!.steps[0]!.uses = 'actions/checkout@v9'; }), ['jobs.test.steps[0].uses: actions/checkout@v9 is not a known action version']);
    assert.deepEqual(broken((w) => { w.jobs['deploy-staging']!.steps[3]!.env!['STAGING_DATABASE_URL'] = 'postgres://u:p@db/cc'; }), ['jobs.deploy-staging.steps[3].env.STAGING_DATABASE_URL: must come from secrets']);
    assert.deepEqual(broken((w) => { w.jobs['test']!.needs = ['deploy-production']; }), ['jobs: cycle test -> deploy-production -> images -> test']);
  });
});
