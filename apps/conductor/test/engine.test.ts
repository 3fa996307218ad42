import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parseRollout } from '../src/config/index.js';
import { approve } from '../src/engine/approvals.js';
import { createContext } from '../src/engine/create-context.js';
import { runRelease, type Recovery } from '../src/engine/executor.js';
import { registerStep } from '../src/engine/registry.js';
import { done } from '../src/engine/step-result.js';
import { createRelease, getSteps, listAudit, listControlRequests, openStorePool, recordControlRequest } from '../src/store/index.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runServices } from './support/run-services.js';
import { storeRowsWith } from './support/leak-search.js';

// The executor on its own: hooks, manual sign-offs, failure before and after traffic moved,
// abort and resume. Traffic is represented by a step that records trafficMoved, as the real
// strategies do; the recovery records what it was asked to do.

function rollout(steps: string): string {
  return `
version: 1
defaultEnvironment: test
environments:
  test:
    target: { type: local }
    strategy: blue-green
plan:
  - phase: deployment
    steps:
${steps}
`;
}

function recorder(): Recovery & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    rollback: async (_ctx, reason) => void calls.push(`rollback: ${reason}`),
    cleanup: async (_ctx, reason) => void calls.push(`cleanup: ${reason}`),
  };
}

registerStep('deploy.backend', {
  reconcile: async (ctx) => {
    await ctx.update({ data: { trafficMoved: true } });
    return done('switched');
  },
});

describe('plan executor', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  async function start(yaml: string, env = `e${Math.random().toString(36).slice(2, 8)}`) {
    const config = parseRollout(yaml.replace('defaultEnvironment: test', `defaultEnvironment: ${env}`).replace('  test:', `  ${env}:`), 'test.yaml');
    const release = await createRelease(pool, { env, ref: 'v2', strategy: 'blue-green', startedBy: 'tester', phase: 'deployment', previousVersion: 'v1' });
    const events: string[] = [];
    const controller = new AbortController();
    const ctx = createContext({ store: pool, config, envName: env, release, actor: 'tester', services: runServices(), signal: controller.signal, progress: (e) => { if (e.type === 'step') events.push(`${e.step}:${e.status}`); } });
    return { ctx, events, controller, env };
  }

  test('every step done: promoted with exit 0, each transition persisted and audited', async () => {
    const { ctx, events } = await start(rollout(`      - { id: one, kind: hook, title: first, run: "true" }\n      - { id: two, kind: hook, title: second, run: "echo hi" }`));
    const rec = recorder();
    const out = await runRelease(ctx, rec);
    assert.deepEqual(out, { state: 'promoted', exitCode: 0, reason: 'all steps done' });
    assert.deepEqual(events, ['one:done', 'two:done']);
    const steps = await getSteps(pool, ctx.release.id);
    assert.deepEqual(steps.map((s) => [s.stepId, s.status]), [['one', 'done'], ['two', 'done']]);
    const audit = await listAudit(pool, { releaseId: ctx.release.id });
    assert.deepEqual(audit.map((a) => a.action), ['step.done', 'step.done', 'release.promoted']);
    assert.deepEqual(rec.calls, []);
  });

  test('a failure before traffic moved: exit 2, cleanup, no rollback, later steps never run', async () => {
    const { ctx, events } = await start(rollout(`      - { id: gate, kind: hook, title: gate, run: "echo nope >&2; exit 4" }\n      - { id: deploy, kind: automated, type: deploy.backend, title: deploy }`));
    const rec = recorder();
    const out = await runRelease(ctx, rec);
    assert.equal(out.exitCode, 2);
    assert.equal(out.state, 'failed');
    assert.match(out.reason, /gate: hook exited 4: nope/);
    assert.deepEqual(events, ['gate:failed']);
    assert.equal(rec.calls.length, 1);
    assert.match(rec.calls[0]!, /^cleanup/);
  });

  test('a hook that prints an expanded ${VAR} value: the reason and the record show *** (issue 17 #11)', async () => {
    const planted = 'hook-planted-Rt5x9Lq2';
    process.env['ENGINE_HOOK_TOKEN'] = planted;
    const { ctx } = await start(rollout(`      - { id: leak, kind: hook, title: leak, run: 'echo "token \${ENGINE_HOOK_TOKEN}"; exit 4' }`));
    const out = await runRelease(ctx, recorder());
    assert.match(out.reason, /leak: hook exited 4: token \*\*\*/);
    assert.deepEqual(await storeRowsWith(pool, planted), []);
  });

  test('a failure after traffic moved rolls back automatically: exit 3', async () => {
    const { ctx } = await start(rollout(`      - { id: deploy, kind: automated, type: deploy.backend, title: deploy }\n      - { id: smoke, kind: hook, title: smoke, run: "exit 1" }`));
    const rec = recorder();
    const out = await runRelease(ctx, rec);
    assert.equal(out.exitCode, 3);
    assert.equal(out.state, 'rolled_back');
    assert.deepEqual(rec.calls, ['rollback: smoke: hook exited 1']);
    const audit = await listAudit(pool, { releaseId: ctx.release.id });
    assert.ok(audit.some((a) => a.action === 'release.rollback' && a.result === 'completed'));
  });

  test('a hook that overruns its timeout fails with the timeout in the reason', async () => {
    const { ctx } = await start(rollout(`      - { id: slow, kind: hook, title: slow, run: "sleep 5", timeout: 300ms }`));
    const out = await runRelease(ctx, recorder());
    assert.match(out.reason, /slow: hook timed out after 300 ms/);
  });

  test('a manual sign-off waits until someone approves, and records who', async () => {
    const { ctx, events } = await start(rollout(`      - { id: review, kind: manual, title: review }`));
    const run = runRelease(ctx, recorder());
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(events, ['review:waiting']);
    await approve(pool, ctx.release.id, 'review', 'carol@desk', 'looks good');
    const out = await run;
    assert.equal(out.exitCode, 0);
    const [step] = await getSteps(pool, ctx.release.id);
    assert.equal(step?.data['approvedBy'], 'carol@desk');
    assert.match(step!.reason, /signed off by carol@desk: looks good/);
  });

  test('abort from another process stops a waiting release and rolls back moved traffic', async () => {
    const { ctx } = await start(rollout(`      - { id: deploy, kind: automated, type: deploy.backend, title: deploy }\n      - { id: review, kind: manual, title: review }`));
    const rec = recorder();
    const run = runRelease(ctx, rec);
    await new Promise((r) => setTimeout(r, 400));
    await recordControlRequest(pool, { env: ctx.envName, releaseId: ctx.release.id, action: 'abort', params: {} }, { identity: 'os:dave@ops', channel: 'cli' });
    const out = await run;
    assert.equal(out.state, 'aborted');
    assert.equal(out.exitCode, 3);
    assert.deepEqual(rec.calls, ['rollback: aborted by os:dave@ops']);
    const [req] = await listControlRequests(pool, { releaseId: ctx.release.id });
    assert.deepEqual([req?.state, req?.identity], ['applied', 'os:dave@ops'], 'the request was claimed exactly once by the driver');
  });

  test('resume skips steps already done and continues with the current one', async () => {
    const { ctx, controller } = await start(rollout(`      - { id: one, kind: hook, title: one, run: "true" }\n      - { id: review, kind: manual, title: review }\n      - { id: three, kind: hook, title: three, run: "true" }`));
    const first = runRelease(ctx, recorder());
    await new Promise((r) => setTimeout(r, 400));
    controller.abort(); // the conductor process dies while waiting for the sign-off
    await assert.rejects(first);
    assert.equal(ctx.release.state, 'running');
    await approve(pool, ctx.release.id, 'review', 'erin', '');
    const events: string[] = [];
    const resumed = createContext({ store: pool, config: ctx.config, envName: ctx.envName, release: ctx.release, actor: 'tester', services: runServices(), progress: (e) => { if (e.type === 'step') events.push(`${e.step}:${e.status}`); } });
    const out = await runRelease(resumed, recorder());
    assert.equal(out.exitCode, 0);
    assert.deepEqual(events, ['review:done', 'three:done']);
    const one = (await getSteps(pool, ctx.release.id)).find((s) => s.stepId === 'one');
    assert.equal(one?.attempts, 1, 'a done step is not run again');
  });
});
