import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { listMeasurements } from '../src/analysis/record.js';
import { listAudit, recordControlRequest, updateRelease } from '../src/store/index.js';
import { stage } from './support/fake-fleet.js';
import { startLoad } from './support/load.js';
import { useScratchStore } from './support/scratch-db.js';
import { runDeploy, testRollout } from './support/strategy-harness.js';

// The canary against a real router and real upstreams: weights step up, the analysis judges
// canary against stable from the router's per-version counters, a bad canary is rolled back
// with its numbers on record, low traffic gets pinned smoke traffic, and promote skips steps.

describe('canary', () => {
  const scratch = useScratchStore();

  test('a healthy canary steps 25% -> analysis (pass) -> 100% with zero failed requests', async () => {
    const s = await stage('v1');
    try {
      const load = startLoad(s.publicUrl);
      const { outcome, events, release } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'canary' });
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

  test('a canary whose slot spins fail 50% of the time: analysis fails with its numbers, traffic back on v1, exit 3', async () => {
    const s = await stage('v1');
    s.fleet.behaviour.set('v2', { errorRate: 0.5 });
    try {
      const load = startLoad(s.publicUrl, { paths: ['/api/games/slots/spin', '/version'], expectedErrors: () => true });
      const { outcome, release, notifier } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'canary' });
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
      assert.ok(failed.value! > failed.threshold!, `${failed.value} > ${failed.threshold}`);
      const audit = await listAudit(scratch.store, { releaseId: release.id });
      const why = audit.find((a) => a.action === 'analysis.failed')!;
      const m = (why.details as { measurements: Array<{ metric: string; value: number; threshold: number; sampleSize: number }> }).measurements.find((x) => x.metric === 'error-rate')!;
      // half the requests are spins failing half the time: ~25%, seen as low as 20% in 55 samples
      assert.ok(m.value > 2 * m.threshold && m.sampleSize >= 20, JSON.stringify(m));
      assert.ok(audit.some((a) => a.action === 'rollback.completed'));
      assert.deepEqual(notifier.sent.map((n) => n.event).filter((e) => e !== 'progress'), ['issue', 'rollback-initiated', 'rollback-completed']);
      assert.equal(notifier.sent.find((n) => n.event === 'issue')!.data.metrics![0]!.name, 'error-rate');
    } finally {
      await s.close();
    }
  });

  test('a failing canary is not rolled back onto a stable version that the rehearsal saw break on the migrated schema', async () => {
    const s = await stage('v1');
    s.fleet.behaviour.set('v2', { errorRate: 0.5 });
    try {
      const load = startLoad(s.publicUrl, { paths: ['/api/games/slots/spin', '/version'], expectedErrors: () => true });
      const { outcome, release, notifier } = await runDeploy(scratch.store, s, {
        version: 'v2', stable: 'v1', strategy: 'canary',
        beforeRun: (r) => updateRelease(scratch.store, r.id, { data: { ...r.data, rehearsal: { expandContract: 'incompatible', oldVersion: 'v1', smokeDetail: 'login: 500' } } }).then(() => undefined),
      });
      await load.stop();
      assert.equal(outcome.state, 'failed');
      assert.equal(outcome.exitCode, 1);
      assert.match(outcome.reason, /not switching back to v1: it failed its smoke tests on this release's migrated schema in the rehearsal \(login: 500\); traffic stays on v2\. Fix forward \(no pre-release backup is recorded\)/);
      assert.equal((await s.target.traffic()).split.api['v2'], 25, 'traffic left where it was, not moved onto the broken version');
      const audit = await listAudit(scratch.store, { releaseId: release.id });
      assert.ok(audit.some((a) => a.action === 'rollback.refused'));
      assert.ok(!audit.some((a) => a.action === 'rollback.completed'));
      assert.ok(notifier.sent.filter((n) => n.event === 'issue').some((n) => /not switching back to v1/.test(n.data.reason ?? '')));
    } finally {
      await s.close();
    }
  });

  test('with no real traffic the canary gets pinned smoke traffic and is judged on it, not passed blindly', async () => {
    const s = await stage('v1');
    try {
      const { outcome, release } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'canary' });
      assert.equal(outcome.exitCode, 0, outcome.reason);
      const audit = await listAudit(scratch.store, { releaseId: release.id });
      const smoke = audit.filter((a) => a.action === 'analysis.smoke-traffic');
      assert.equal(smoke.length, 2, 'one burst per window');
      assert.equal((smoke[0]!.details as { sent: number }).sent, 40);
      const rate = (await listMeasurements(scratch.store, release.id)).filter((m) => m.metric === 'error-rate');
      assert.ok(rate.every((m) => m.verdict === 'pass' && m.sampleSize! >= 20), JSON.stringify(rate));
    } finally {
      await s.close();
    }
  });

  test('with no real traffic and lowTraffic: fail, the canary fails instead of passing', async () => {
    const s = await stage('v1');
    try {
      const config = testRollout();
      config.analysis['quick']!.lowTraffic = { action: 'fail', requests: 10 };
      const { outcome } = await runDeploy(scratch.store, s, { version: 'v2', stable: 'v1', strategy: 'canary', config });
      assert.equal(outcome.exitCode, 3);
      assert.match(outcome.reason, /could not reach a verdict.*only 0 canary request/);
    } finally {
      await s.close();
    }
  });

  test('ccr promote (control action) skips the remaining steps of a long canary', async () => {
    const s = await stage('v1');
    try {
      const config = testRollout();
      config.environments['test']!.canary = { steps: [{ weight: 10, pause: 60_000 }, { analysis: 'quick' }, { weight: 50, pause: 60_000 }, { weight: 100 }] };
      const started = Date.now();
      const { outcome, events } = await runDeploy(scratch.store, s, {
        version: 'v2', stable: 'v1', strategy: 'canary', config,
        beforeRun: (r) => {
          setTimeout(() => void recordControlRequest(scratch.store, { env: r.env, releaseId: r.id, action: 'promote', params: {} }, { identity: 'os:tester', channel: 'cli' }), 1500);
        },
      });
      assert.equal(outcome.exitCode, 0, outcome.reason);
      assert.ok(Date.now() - started < 20_000, 'did not wait out the pauses');
      const api = events.flatMap((e) => (e.type === 'weights' && e.service === 'api' ? [e.weights['v2'] ?? 0] : []));
      assert.deepEqual(api, [0, 10, 100]);
    } finally {
      await s.close();
    }
  });
});
