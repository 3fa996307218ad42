import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parseRollout, type PlanStep } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { gateResultsOf } from '../src/gates/record.js';
import { notifierFrom } from '../src/notify/index.js';
import { writeReports } from '../src/report/write.js';
import { audit, createRelease, openStorePool, saveStep } from '../src/store/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';
import { tinyRepo } from './fixtures/gates/tiny-repo.js';
import { filesWith, storeRowsWith } from './support/leak-search.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runServices } from './support/run-services.js';
import { ccPaths } from '../src/paths.js';
import '../src/steps/gates.js';

// Issue 17, defect 11: a ${VAR} expanded into the CI gate's command must never reach the
// release record. A value is planted in the variable, the CI command echoes it, and the
// store (every table), the reports, the notifications and ccr's own output are searched for it.

const PLANTED = 'planted-Zx81-ci-token-4f2a9c';
const dir = mkdtempSync(join(tmpdir(), 'ccr-redact-'));
const repo = tinyRepo(join(dir, 'repo'));
const home = join(dir, 'home');
let db: Awaited<ReturnType<typeof scratchDatabase>>;
let store: pg.Pool;

const ROLLOUT = `version: 1
defaultEnvironment: staging
environments:
  staging:
    target: { type: local }
    gates:
      ci:
        command: { run: 'echo "deploy token \${CI_DEPLOY_TOKEN}"; echo "3 passed, 0 failed"', timeout: 60s }
plan:
  - phase: pre-deployment
    steps:
      - { id: ci-green, kind: automated, type: gate.ci, title: CI green }
`;

before(async () => {
  db = await scratchDatabase('ccr_redact');
  store = await openStorePool(db.url);
});
after(async () => {
  await store.end();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});



describe('secrets expanded into rollout.yaml never reach the release record', () => {
  test('ccr preflight: the CI gate passes; its output, evidence and stored row hold *** and the command as written', async () => {
    const file = join(dir, 'rollout.yaml');
    writeFileSync(file, ROLLOUT);
    const env = { ...process.env, CCR_CONFIG: file, CCR_DATABASE_URL: db.url, CCR_PROJECT_ROOT: repo, CCR_HOME: home, CCR_ACTOR: 'rm@example', CI_DEPLOY_TOKEN: PLANTED };
    for (const args of [['v1.0.0-rc.1'], ['v1.0.0-rc.1', '--json']]) {
      const r = await run('node', [CCR_BIN, 'preflight', ...args], { env });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.ok(!r.stdout.includes(PLANTED) && !r.stderr.includes(PLANTED), `ccr printed the secret:\n${r.stdout}${r.stderr}`);
      if (args.includes('--json')) {
        const ci = (JSON.parse(r.stdout) as { gates: Array<{ gate: string; checks: Array<{ evidence: Record<string, unknown> }> }> }).gates.find((g) => g.gate === 'ci')!;
        assert.equal(ci.checks[0]!.evidence['command'], 'echo "deploy token ${CI_DEPLOY_TOKEN}"; echo "3 passed, 0 failed"');
        assert.match(String(ci.checks[0]!.evidence['output']), /deploy token \*\*\*/);
      }
    }
    assert.deepEqual(await storeRowsWith(store, PLANTED), []);
    const stored = await store.query("SELECT evidence FROM gate_results WHERE gate = 'ci'");
    assert.equal(stored.rows.length, 2);
    assert.match(JSON.stringify(stored.rows[0].evidence), /deploy token \*\*\*/);
  });

  test('as a release step: gate_results, release_steps, audit_log, notifications and both reports stay clean', async () => {
    const config = parseRollout(ROLLOUT, 'rollout.yaml', { CI_DEPLOY_TOKEN: PLANTED });
    const release = await createRelease(store, { env: 'staging', ref: 'v1.0.0-rc.1', strategy: 'blue-green', startedBy: 'test', phase: 'pre-deployment', previousVersion: null });
    const ctx = createContext({ store, config, envName: 'staging', release, actor: 'rm@example', services: runServices(null, ccPaths(repo, home)) });
    const step = config.plan[0]!.steps[0] as Extract<PlanStep, { kind: 'automated' }>;
    const result = await stepImpl('gate.ci').reconcile(ctx, { ...step, params: {} });
    assert.equal(result.status, 'done', result.reason);
    // what the executor and the other modules would write with the value in hand
    await saveStep(store, { releaseId: release.id, stepId: step.id, phase: 'pre-deployment', kind: 'automated', type: 'gate.ci', status: 'done', reason: `${result.reason} (token ${PLANTED})`, data: { seen: PLANTED } });
    await audit(store, { actor: 'rm@example', env: 'staging', releaseId: release.id, action: 'release.started', result: 'ok', details: { cmd: `deploy --token ${PLANTED}` } });
    const sent: string[] = [];
    const notifier = notifierFrom([{ label: 'hook', accepts: () => true, send: async (m) => { sent.push(JSON.stringify(m)); throw new Error(`401 for token ${PLANTED}`); } }], store);
    await notifier.notify('started', { releaseId: release.id, env: 'staging', version: 'v1.0.0-rc.1', previousVersion: null, reason: `with ${PLANTED}` });
    assert.equal(sent.length, 1);
    assert.ok(!sent[0]!.includes(PLANTED), 'the notification sent holds the secret');
    assert.equal((await gateResultsOf(store, release.id)).length, 1);
    assert.deepEqual(await storeRowsWith(store, PLANTED), []);
    const notified = await store.query('SELECT error FROM notifications WHERE release_id = $1', [release.id]);
    assert.match(notified.rows[0].error, /401 for token \*\*\*/);
    const files = await writeReports(store, home, release.id);
    assert.equal(files.length, 2);
    assert.match(readFileSync(files.find((f) => f.endsWith('.md'))!, 'utf8'), /ci/);
    assert.deepEqual(filesWith(home, PLANTED), []);
    assert.deepEqual(filesWith(dir, PLANTED), []);
  });
});
