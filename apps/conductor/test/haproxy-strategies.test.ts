import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { listMeasurements } from '../src/analysis/record.js';
import { switchBack } from '../src/rollback/switch-back.js';
import { listAudit } from '../src/store/index.js';
import type { Stage } from './support/fake-fleet.js';
import { startLoad } from './support/load.js';
import { useScratchStore } from './support/scratch-db.js';
import { runDeploy } from './support/strategy-harness.js';
import { haproxyStage, HOSTS, type HaproxyStage } from './haproxy-stage.js';

// The unchanged strategies (real executor, steps, analysis and recovery) with the HAProxy
// target: a real haproxy in front of two loopback "hosts". Canary analysis reads HAProxy's
// own counters (the stick table the config keeps per version, status class and latency).

// The harness only touches `target` (a DeployTarget), so an HAProxy stage stands in for the
// local one.
const asStage = (s: HaproxyStage) => s as unknown as Stage;

describe('strategies on the HAProxy target', () => {
  const scratch = useScratchStore();

  test('blue/green switches all traffic with no failed request, then a rollback is one switch back to the warm v1', async () => {
    const s = await haproxyStage('v1');
    try {
      const load = startLoad(s.publicUrl);
      await sleep(300);
      const { outcome, events, release } = await runDeploy(scratch.store, asStage(s), { version: 'v2', stable: 'v1', strategy: 'blue-green' });
      await sleep(300);
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      assert.ok(stats.byVersion['v1']! > 0 && stats.byVersion['v2']! > 0, JSON.stringify(stats.byVersion));
      const weights = events.filter((e) => e.type === 'weights' && e.service === 'api').map((e) => (e.type === 'weights' ? e.weights : {}));
      assert.ok(weights.every((w) => Object.keys(w).length === 1), `blue/green never splits api traffic: ${JSON.stringify(weights)}`);
      assert.deepEqual((await s.target.traffic()).split, { api: { v2: 100 }, web: { v2: 100 } });
      const v2 = (await s.target.instances()).filter((i) => i.version === 'v2');
      assert.deepEqual(v2.map((i) => new URL(i.url).hostname).sort(), HOSTS.map((h) => h.address), 'one v2 instance per host');

      const rollLoad = startLoad(s.publicUrl);
      await sleep(200);
      const back = await switchBack({ db: scratch.store, target: s.target, env: 'test', actor: 'test', releaseId: release.id, to: 'v1', from: 'v2', instances: 2, reason: 'test rollback' });
      await sleep(200);
      const rollStats = await rollLoad.stop();
      assert.equal(back.warm, true, 'v1 was still attached and running');
      assert.equal(rollStats.failed, 0, rollStats.failures.join('\n'));
      assert.deepEqual((await s.target.traffic()).split, { api: { v1: 100 }, web: { v1: 100 } });
      assert.equal((await s.target.instances()).filter((i) => i.version === 'v2').length, 0, 'v2 stopped after the switch back');
      for (let i = 0; i < 10; i++) assert.equal((await fetch(`${s.publicUrl}/version`)).headers.get('x-cc-served-by'), 'v1');
    } finally {
      await s.close();
    }
  });

  test('a healthy canary steps 25% -> analysis on HAProxy counters (pass) -> 100%', async () => {
    const s = await haproxyStage('v1');
    try {
      const load = startLoad(s.publicUrl);
      const { outcome, events, release } = await runDeploy(scratch.store, asStage(s), { version: 'v2', stable: 'v1', strategy: 'canary' });
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      const api = events.flatMap((e) => (e.type === 'weights' && e.service === 'api' ? [e.weights['v2'] ?? 0] : []));
      assert.deepEqual(api, [0, 25, 100]);
      const ms = await listMeasurements(scratch.store, release.id);
      assert.equal(ms.length, 4, 'two windows x two metrics');
      assert.ok(ms.every((m) => m.verdict === 'pass'), JSON.stringify(ms.map((m) => m.reason)));
      const rate = ms.find((m) => m.metric === 'error-rate')!;
      assert.equal(rate.value, 0);
      assert.ok(rate.sampleSize! >= 20);
      assert.deepEqual((await s.target.traffic()).split, { api: { v2: 100 }, web: { v2: 100 } });
    } finally {
      await s.close();
    }
  });

  test('a canary whose upstream answers 500s fails analysis from HAProxy\'s stats and is rolled back (exit 3)', async () => {
    const s = await haproxyStage('v1');
    s.behaviour.set('v2', { errorRate: 0.5 });
    try {
      const load = startLoad(s.publicUrl, { paths: ['/api/games/slots/spin', '/version'], expectedErrors: () => true });
      const { outcome, release } = await runDeploy(scratch.store, asStage(s), { version: 'v2', stable: 'v1', strategy: 'canary' });
      await sleep(200);
      const before = { ...load.stats.byVersion };
      await sleep(500);
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 3, outcome.reason);
      assert.equal(outcome.state, 'rolled_back');
      assert.match(outcome.reason, /error rate \d+\.\d% \(\d+\/\d+\) vs stable 0\.0%/);
      assert.deepEqual((await s.target.traffic()).split, { api: { v1: 100 }, web: { v1: 100 } });
      assert.equal(stats.byVersion['v2'] ?? 0, before['v2'] ?? 0, 'no request reached v2 after the rollback');
      assert.equal((await s.target.instances()).filter((i) => i.version === 'v2').length, 0, 'v2 stopped');
      const failed = (await listMeasurements(scratch.store, release.id)).find((m) => m.verdict === 'fail')!;
      assert.equal(failed.metric, 'error-rate');
      // Half the spins fail and spins are half the load: about 25%, well over the +5% limit.
      assert.ok(failed.value! > failed.threshold! && failed.sampleSize! >= 20, JSON.stringify(failed));
      assert.ok(failed.details && JSON.stringify(failed.details).includes('"errors5xx"'), 'the numbers come with the verdict');
      assert.ok((await listAudit(scratch.store, { releaseId: release.id })).some((a) => a.action === 'rollback.completed'));
    } finally {
      await s.close();
    }
  });

  test('rolling replaces one instance at a time across the hosts, never fewer than 2 serving, zero failed requests', async () => {
    const s = await haproxyStage('v1');
    try {
      const load = startLoad(s.publicUrl);
      let minServing = Infinity;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const st = (await s.live.plane.readState()).services.api.targets.filter((t) => t.weight > 0).length;
          minServing = Math.min(minServing, st);
          await sleep(5);
        }
      })();
      const { outcome } = await runDeploy(scratch.store, asStage(s), { version: 'v2', stable: 'v1', strategy: 'rolling' });
      sampling = false;
      await sampler;
      const stats = await load.stop();
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      assert.ok(minServing >= 2, `serving instances dipped to ${minServing}`);
      assert.deepEqual(s.log.slice(2), ['start:v2', 'stop:v1', 'start:v2', 'stop:v1']);
      assert.deepEqual((await s.target.traffic()).split, { api: { v2: 100 }, web: { v2: 100 } });
      assert.deepEqual((await s.target.instances()).map((i) => i.version), ['v2', 'v2']);
    } finally {
      await s.close();
    }
  });

  test('maintenance on: a page for browsers, the JSON error for /api, pinned requests pass; off: traffic flows again', async () => {
    const s = await haproxyStage('v1');
    try {
      await s.target.setMaintenance(true, 'Upgrading the <database>');
      const page = await fetch(`${s.publicUrl}/play`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('retry-after'), '60');
      assert.match(await page.text(), /Upgrading the &#60;database&#62;/);
      const api = await fetch(`${s.publicUrl}/api/wallet`);
      assert.equal(api.status, 503);
      const body = (await api.json()) as { error: { code: string; message: string; requestId: string } };
      assert.equal(body.error.code, 'maintenance');
      assert.equal(body.error.message, 'Upgrading the <database>');
      assert.equal(body.error.requestId, api.headers.get('x-request-id'));
      const pinned = s.target.pinned('v1');
      assert.equal((await fetch(`${pinned.baseUrl}/version`, { headers: pinned.headers })).status, 200);
      assert.deepEqual((await s.target.traffic()).maintenance, { enabled: true, message: 'Upgrading the <database>' });
      await s.target.setMaintenance(false);
      assert.equal((await fetch(`${s.publicUrl}/api/wallet`)).status, 200);
      assert.equal((await s.target.traffic()).maintenance.enabled, false);
    } finally {
      await s.close();
    }
  });
});
