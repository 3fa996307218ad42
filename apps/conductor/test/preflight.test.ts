import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parseRollout, type PlanStep } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { gateResultsOf } from '../src/gates/record.js';
import type { GateVerdict } from '../src/gates/record.js';
import { runGate } from '../src/gates/index.js';
import { createRelease, openStorePool, setActiveVersion } from '../src/store/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { tinyRepo } from './fixtures/gates/tiny-repo.js';
import { ADMIN_URL, scratchDatabase } from './support/scratch-db.js';
import '../src/steps/gates.js';
import { runServices } from './support/run-services.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// `ccr preflight` end to end (the real CLI, store and services), and the gates as plan steps:
// "cannot check" blocks unless the environment accepts it, and the acceptance is recorded
// with the release.

const dir = tempDir('ccr-preflight-');
const repo = tinyRepo(join(dir, 'repo'));
const STRONG = 'Zq8vN3xL0pW5rT7yB2mK9cH4jF6dS1aE-strong-enough';
let db: Awaited<ReturnType<typeof scratchDatabase>>;
let store: pg.Pool;

/** A UTC window [now + fromH, now + toH) on every day, so "inside" and "outside" hold whenever the test runs. */
function windowAround(fromH: number, toH: number): string {
  const at = (h: number) => new Date(Date.now() + h * 3600_000).toISOString().slice(11, 16);
  return `{ days: [mon, tue, wed, thu, fri, sat, sun], start: "${at(fromH)}", end: "${at(toH)}", timezone: UTC }`;
}

function rollout(o: { window: string; accept: boolean }): string {
  return `version: 1
defaultEnvironment: staging
environments:
  staging:
    target: { type: local }
    appEnv: staging
    databaseUrl: \${PF_DATABASE_URL:-}
    redisUrl: redis://127.0.0.1:6379
    kafkaBroker: 127.0.0.1:1
    gates:
      settings: { JWT_SECRET: "\${PF_JWT_SECRET:-}" }
      connectTimeout: 2s
      windows: [${o.window}]
${o.accept ? '    acceptCannotCheck:\n      - { gate: monitoring, reason: "staging has no Prometheus yet; watched by hand" }\n' : ''}plan:
  - phase: pre-deployment
    steps:
      - { id: configuration, kind: automated, type: gate.config, title: Configuration }
      - { id: monitoring, kind: automated, type: gate.monitoring, title: Monitoring }
      - { id: deployment-window, kind: automated, type: gate.window, title: Window }
      - { id: final-code-review, kind: manual, title: Final code review }
`;
}

before(async () => {
  db = await scratchDatabase('ccr_preflight');
  store = await openStorePool(db.url);
});
after(async () => {
  await store.end();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const gateInputFor = (envName: string) => ({ ...gateInput({ repo, store }), envName });

function ccr(config: string, args: string[], env: Record<string, string> = {}) {
  const file = join(dir, `rollout-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, config);
  return run('node', [CCR_BIN, 'preflight', ...args], {
    env: { ...process.env, CCR_CONFIG: file, CCR_DATABASE_URL: db.url, CCR_PROJECT_ROOT: repo, CCR_HOME: join(dir, 'home'), CCR_ACTOR: 'rm@example', PF_DATABASE_URL: 'postgres://cc:Xk29-unique-Pw@db.internal:5432/cc', ...env },
  });
}

describe('ccr preflight', () => {
  test('a missing secret, a time outside the window and an unaccepted cannot-check block (exit 2), all shown', async () => {
    const r = await ccr(rollout({ window: windowAround(2, 3), accept: false }), ['v1.0.0-rc.1', '--json']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    const report = JSON.parse(r.stdout) as { ok: boolean; gates: GateVerdict[]; manual: Array<{ step: string }> };
    assert.equal(report.ok, false);
    const by = Object.fromEntries(report.gates.map((g) => [g.gate, g]));
    assert.deepEqual(report.gates.map((g) => [g.gate, g.result, g.blocks]), [['config', 'fail', true], ['monitoring', 'cannot-check', true], ['window', 'fail', true]]);
    assert.match(by['config']!.summary, /JWT_SECRET: is missing/);
    assert.match(by['window']!.summary, /outside every deployment window/);
    assert.deepEqual(report.manual.map((m) => m.step), ['final-code-review']);
    const rows = await store.query("SELECT gate, result, accepted, release_id FROM gate_results WHERE ref = 'v1.0.0-rc.1' ORDER BY gate");
    assert.deepEqual(rows.rows.map((x) => [x.gate, x.result, x.accepted, x.release_id]), [['config', 'fail', false, null], ['monitoring', 'cannot-check', false, null], ['window', 'fail', false, null]]);
  });

  test('inside the window, with the secret and the cannot-check accepted: exit 0, human output, no secret printed', async () => {
    const r = await ccr(rollout({ window: windowAround(-1, 1), accept: true }), ['v1.0.0-rc.1'], { PF_JWT_SECRET: STRONG });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^PASS +config/m);
    assert.match(r.stdout, /^CANNOT CHECK monitoring \(accepted: staging has no Prometheus yet; watched by hand\)/m);
    assert.match(r.stdout, /^PASS +window/m);
    assert.match(r.stdout, /all 3 gates pass \(with accepted cannot-check results\)/);
    assert.ok(!r.stdout.includes(STRONG) && !r.stderr.includes(STRONG), 'the JWT secret is never printed');
    const rows = await store.query("SELECT acceptance_reason FROM gate_results WHERE gate = 'monitoring' AND accepted");
    assert.equal(rows.rows[0]?.acceptance_reason, 'staging has no Prometheus yet; watched by hand');
  });

  test('--outside-window with a reason lets a deploy through outside the window, and --only picks gates', async () => {
    const r = await ccr(rollout({ window: windowAround(2, 3), accept: false }), ['v1.0.0-rc.1', '--only', 'window', '--outside-window', 'hotfix for the login outage', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = JSON.parse(r.stdout) as { gates: GateVerdict[] };
    assert.equal(report.gates.length, 1);
    assert.match(report.gates[0]!.summary, /deployed anyway: "hotfix for the login outage"/);
  });
});

describe('gates as plan steps', () => {
  const configText = (accept: boolean) => rollout({ window: windowAround(-1, 1), accept });

  async function reconcileMonitoring(accept: boolean) {
    const config = parseRollout(configText(accept), 'rollout.yaml', { PF_DATABASE_URL: ADMIN_URL });
    const release = await createRelease(store, { env: 'staging', ref: 'v1.0.0-rc.1', strategy: 'canary', startedBy: 'test', phase: 'pre-deployment', previousVersion: null });
    const ctx = createContext({ store, config, envName: 'staging', release, actor: 'rm@example', services: runServices() });
    const step = config.plan[0]!.steps.find((s) => s.id === 'monitoring') as Extract<PlanStep, { kind: 'automated' }>;
    const result = await stepImpl('gate.monitoring').reconcile(ctx, step);
    // a release in flight per environment: close this one so the next case can start another
    await store.query("UPDATE releases SET state = 'aborted' WHERE id = $1", [release.id]);
    return { release, result };
  }

  test('cannot-check blocks the step when the environment does not accept it', async () => {
    const { release, result } = await reconcileMonitoring(false);
    assert.equal(result.status, 'fail');
    assert.match(result.reason, /^cannot check \(not accepted for this environment\): prometheus: no Prometheus is configured/);
    const rows = await gateResultsOf(store, release.id);
    assert.deepEqual(rows.map((r) => [r.gate, r.result, r.accepted]), [['monitoring', 'cannot-check', false]]);
  });

  test('the window step fails outside the window unless the release carries --outside-window\'s reason', async () => {
    const config = parseRollout(rollout({ window: windowAround(2, 3), accept: false }), 'rollout.yaml', { PF_DATABASE_URL: ADMIN_URL });
    const step = config.plan[0]!.steps.find((s) => s.id === 'deployment-window') as Extract<PlanStep, { kind: 'automated' }>;
    const results = [];
    for (const options of [{}, { outsideWindow: 'security fix for the session cookie' }]) {
      const release = await createRelease(store, { env: 'staging', ref: 'v1.0.0-rc.1', strategy: 'canary', startedBy: 'test', phase: 'pre-deployment', previousVersion: null, options });
      const ctx = createContext({ store, config, envName: 'staging', release, actor: 'rm@example', services: runServices() });
      results.push(await stepImpl('gate.window').reconcile(ctx, step));
      await store.query("UPDATE releases SET state = 'aborted' WHERE id = $1", [release.id]);
    }
    assert.equal(results[0]!.status, 'fail');
    assert.match(results[0]!.reason, /^failed: window: .* is outside every deployment window/);
    assert.equal(results[1]!.status, 'done');
    assert.match(results[1]!.reason, /deployed anyway: "security fix for the session cookie"/);
  });

  test('accepted cannot-check passes the step, and the acceptance is recorded in the release and audited', async () => {
    const { release, result } = await reconcileMonitoring(true);
    assert.equal(result.status, 'done');
    assert.match(result.reason, /cannot check, accepted for staging \("staging has no Prometheus yet; watched by hand"\)/);
    const rows = await gateResultsOf(store, release.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.accepted, true);
    assert.equal(rows[0]!.acceptanceReason, 'staging has no Prometheus yet; watched by hand');
    assert.equal(rows[0]!.actor, 'rm@example');
    const audit = await store.query("SELECT result, details FROM audit_log WHERE release_id = $1 AND action = 'gate.cannot-check-accepted'", [release.id]);
    assert.equal(audit.rows[0]?.result, 'staging has no Prometheus yet; watched by hand');
    assert.equal(audit.rows[0]?.details.gate, 'monitoring');
  });

  test('rollback readiness before a release: the first release passes; a stable version without its artifact fails', async () => {
    const input = (env: string) => ({ ...gateInputFor(env), artifactsDir: join(dir, 'no-artifacts') });
    const first = await runGate('rollback-readiness', input('fresh'));
    assert.equal(first.result, 'pass');
    assert.match(first.summary, /first release of fresh/);
    await setActiveVersion(store, 'older', 'v0.9.0', null);
    const missing = await runGate('rollback-readiness', input('older'));
    assert.equal(missing.result, 'fail');
    assert.match(missing.summary, /the artifact of the stable version v0.9.0 is missing/);
  });
});
