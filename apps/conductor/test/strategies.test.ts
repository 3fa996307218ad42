import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { reapScaleDowns } from '../src/strategies/scale-down.js';
import { getEnvState, listAudit } from '../src/store/index.js';
import { planDetach, planRoute } from '../src/targets/router-plan.js';
import { stage, type Stage } from './support/fake-fleet.js';
import { startLoad } from './support/load.js';
import { useScratchStore } from './support/scratch-db.js';
import { runDeploy } from './support/strategy-harness.js';

// Blue/green and rolling against a real router with small real upstreams, through the real
// executor, steps and recovery. The canary and its analysis are in canary.test.ts.

describe('traffic plans are data', () => {
  const inst = (id: string, version: string) => ({ id, version, url: `http://127.0.0.1:${id.length + 3000}`, state: 'ready' as const });
  const current = { services: { api: { targets: [{ id: 'a1', version: 'v1', url: 'http://127.0.0.1:3002', weight: 100 }] }, web: { targets: [{ id: 'a1', version: 'v1', url: 'http://127.0.0.1:3002', weight: 100 }] } }, maintenance: { enabled: false, retryAfter: 60, allowCidrs: [] } };

  test('a 25% canary spreads each version\'s share over its instances and leaves web alone', () => {
    const next = planRoute(current, [inst('a1', 'v1'), inst('b1', 'v2'), inst('b22', 'v2')], { api: { v1: 75, v2: 25 } });
    assert.deepEqual(next.services.api.targets, [
      { id: 'a1', version: 'v1', url: 'http://127.0.0.1:3002', weight: 7500 },
      { id: 'b1', version: 'v2', url: 'http://127.0.0.1:3002', weight: 1250 },
      { id: 'b22', version: 'v2', url: 'http://127.0.0.1:3003', weight: 1250 },
    ]);
    assert.deepEqual(next.services.web, current.services.web);
  });

  test('versions left out stay attached at weight 0 while their instances run', () => {
    const next = planRoute(current, [inst('a1', 'v1'), inst('b1', 'v2')], { api: { v2: 100 } });
    assert.deepEqual(next.services.api.targets.map((t) => [t.id, t.weight]), [['b1', 10000], ['a1', 0]]);
    const gone = planRoute(current, [inst('b1', 'v2')], { api: { v2: 100 } });
    assert.deepEqual(gone.services.api.targets.map((t) => t.id), ['b1'], 'a stopped instance is dropped');
  });

  test('detach refuses to leave a service with no weighted target', () => {
    assert.throws(() => planDetach(current, { version: 'v1' }), /no traffic target/);
  });
});

describe('blue/green and rolling', () => {
  const scratch = useScratchStore();

  test('blue/green: v2 starts beside v1, all traffic switches at once, v1 stays warm then stops; no client sees an error', async () => {
    const s: Stage = await stage('v1');
    try {
      const load = startLoad(s.publicUrl);
      await sleep(300);
      const { outcome, events } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'blue-green' });
      await sleep(300);
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      assert.ok(stats.byVersion['v1']! > 0 && stats.byVersion['v2']! > 0, JSON.stringify(stats.byVersion));
      const weights = events.filter((e) => e.type === 'weights' && e.service === 'api').map((e) => (e.type === 'weights' ? e.weights : {}));
      assert.ok(weights.every((w) => Object.keys(w).length === 1), `blue/green never splits api traffic: ${JSON.stringify(weights)}`);
      const view = await s.target.traffic();
      assert.deepEqual(view.split, { api: { v2: 100 }, web: { v2: 100 } });
      assert.ok(view.attached.api.includes('v1'), 'v1 is still attached (warm)');
      assert.equal((await s.target.instances()).filter((i) => i.version === 'v1').length, 2);
      assert.deepEqual(await getEnvState(scratch.store, 'test').then((e) => [e.activeVersion, e.previousVersion]), ['v2', 'v1']);
      assert.deepEqual(await reapScaleDowns(scratch.store, 'test', s.target, 'test', Date.now() - 60_000), [], 'not due yet');
      await sleep(1100);
      assert.deepEqual(await reapScaleDowns(scratch.store, 'test', s.target, 'test'), ['v1']);
      assert.equal((await s.target.instances()).filter((i) => i.version === 'v1').length, 0);
      assert.ok((await listAudit(scratch.store, { env: 'test' })).some((a) => a.action === 'scale-down' && (a.details as { version?: string }).version === 'v1'));
    } finally {
      await s.close();
    }
  });

  test('blue/green: a v2 that never becomes ready never receives traffic; exit 2 and v1 untouched', async () => {
    const s = await stage('v1');
    s.fleet.behaviour.set('v2', { neverReady: true });
    try {
      const load = startLoad(s.publicUrl);
      const { outcome } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'blue-green' });
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 2, outcome.reason);
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.reason, /did not become ready/);
      assert.equal(stats.byVersion['v2'] ?? 0, 0);
      assert.equal(stats.failed, 0);
      assert.deepEqual((await s.target.traffic()).split, { api: { v1: 100 }, web: { v1: 100 } });
      assert.equal((await s.target.instances()).filter((i) => i.version === 'v2').length, 0);
    } finally {
      await s.close();
    }
  });

  test('rolling: one instance at a time, never fewer than 2 serving, zero failed requests', async () => {
    const s = await stage('v1');
    try {
      const load = startLoad(s.publicUrl);
      let minServing = Infinity;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const st = (await s.router.getState()).state.services.api.targets.filter((t) => t.weight > 0).length;
          minServing = Math.min(minServing, st);
          await sleep(5);
        }
      })();
      const { outcome } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'rolling' });
      sampling = false;
      await sampler;
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      assert.ok(minServing >= 2, `serving instances dipped to ${minServing}`);
      // started v2#1, stopped v1#1, started v2#2, stopped v1#2: interleaved, one at a time
      assert.deepEqual(s.fleet.log.slice(2), ['start:v2', 'stop:v1', 'start:v2', 'stop:v1']);
      assert.deepEqual((await s.target.traffic()).split, { api: { v2: 100 }, web: { v2: 100 } });
      assert.deepEqual((await s.target.instances()).map((i) => i.version), ['v2', 'v2']);
    } finally {
      await s.close();
    }
  });
});
