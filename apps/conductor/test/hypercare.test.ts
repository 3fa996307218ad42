import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { parseRollout } from '../src/config/index.js';
import { hypercareParams } from '../src/hypercare/params.js';
import { diskSignal, outboxSignals, restartSignal } from '../src/hypercare/signals.js';
import { listAudit, openStorePool } from '../src/store/index.js';
import { scratchDatabase } from './support/scratch-db.js';
import { stage, type Stage, type VersionBehaviour } from './support/fake-fleet.js';
import { runDeploy } from './support/strategy-harness.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Hypercare against a real router in front of real upstreams (the fake fleet: small HTTP
// servers whose 500 share the test controls), with the real executor, blue-green strategy and
// rollback recovery. User traffic is real requests through the router's public port.

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;

const rolloutYaml = (hypercare: string) => `
version: 1
defaultEnvironment: test
environments:
  test:
    target: { type: local, instances: 2 }
    strategy: blue-green
    blueGreen: { scaleDownDelay: 10m, prePromotionSmoke: false }
    rollback: { automatic: true }
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
  - phase: post-deployment
    steps:
      - { id: hypercare, kind: automated, type: hypercare, title: Hypercare watch, params: ${hypercare} }
`;
const rollout = (hypercare: string) => parseRollout(rolloutYaml(hypercare), 'hypercare-rollout.yaml');

/** Real user traffic through the router until stopped. */
function userTraffic(publicUrl: string): () => Promise<void> {
  let on = true;
  const worker = async () => {
    while (on) {
      await fetch(`${publicUrl}/api/games/slots/spin`, { method: 'POST' }).then((r) => r.arrayBuffer(), () => undefined);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const workers = [worker(), worker()];
  return async () => {
    on = false;
    await Promise.all(workers);
  };
}

async function hypercareChecks(pool: pg.Pool, version: string): Promise<number> {
  const r = await pool.query(`SELECT data->'hypercare'->>'checks' AS n FROM releases WHERE version = $1`, [version]);
  return Number(r.rows[0]?.n ?? -1);
}

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hypercare', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let s: Stage;

  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
    s = await stage('v1');
  });
  after(async () => {
    await s.close();
    await pool.end();
    await db.drop();
  });

  test('a promoted release whose error rate rises during hypercare is rolled back automatically', async () => {
    const v2: VersionBehaviour = { errorRate: 0 };
    s.fleet.behaviour.set('v2', v2);
    const stop = userTraffic(s.publicUrl);
    try {
      const config = rollout('{ duration: 60s, interval: 500ms, errorRate: { max: 0.05, minRequests: 10 }, latency: { maxMs: 2000, minRequests: 10 }, disk: { minFreeRatio: 0.001 } }');
      const run = runDeploy(pool, s, { version: 'v2', stable: 'v1', strategy: 'blue-green', config });
      // Promoted and healthy for two checks first, then v2 starts failing a third of its requests.
      await until(async () => (await hypercareChecks(pool, 'v2')) >= 2, 'two clear hypercare checks');
      assert.deepEqual((await s.target.traffic()).split.api, { v2: 100 }, 'v2 took all traffic before hypercare');
      v2.errorRate = 0.35;
      const { outcome, release, notifier } = await run;
      assert.equal(outcome.state, 'rolled_back', outcome.reason);
      assert.equal(outcome.exitCode, 3);
      assert.match(outcome.reason, /hypercare breach: error rate \d+\.\d% \(\d+\/\d+\) over the limit of 5\.0%/);
      assert.deepEqual((await s.target.traffic()).split.api, { v1: 100 }, 'all traffic back on v1');
      assert.ok((await s.target.instances()).every((i) => i.version === 'v1'), 'v2 stopped');

      const audit = await listAudit(pool, { releaseId: release.id });
      const breach = audit.find((a) => a.action === 'hypercare.breach');
      assert.equal(breach?.details['signal'], 'error-rate');
      assert.ok((breach?.details['value'] as number) > 0.05);
      assert.ok(audit.some((a) => a.action === 'rollback.completed'));
      const events = notifier.sent.map((n) => n.event);
      assert.ok(events.includes('issue'), events.join());
      assert.ok(events.indexOf('issue') < events.indexOf('rollback-initiated'), events.join());
      const issue = notifier.sent.find((n) => n.event === 'issue')!;
      assert.equal(issue.data.metrics?.[0]?.name, 'error-rate');
      assert.equal(issue.data.metrics?.[0]?.threshold, 0.05);

      const ms = await pool.query(`SELECT metric, verdict, value FROM measurements WHERE release_id = $1 AND analysis = 'hypercare' ORDER BY id`, [release.id]);
      const errorRates = ms.rows.filter((r) => r.metric === 'error-rate');
      assert.ok(errorRates.filter((r) => r.verdict === 'pass').length >= 2);
      assert.equal(errorRates.at(-1).verdict, 'fail');
      assert.ok(errorRates.at(-1).value > 0.05);
    } finally {
      await stop();
    }
  });

  test('ccr hypercare end stops the watch early; the release is promoted and it is audited', async () => {
    const stop = userTraffic(s.publicUrl);
    const dir = tempDir('ccr-hypercare-');
    try {
      const params = '{ duration: 10m, interval: 300ms, errorRate: { max: 0.05, minRequests: 5 }, disk: { minFreeRatio: 0.001 } }';
      writeFileSync(join(dir, 'rollout.yaml'), rolloutYaml(params));
      const deploy = runDeploy(pool, s, { version: 'v3', stable: 'v1', strategy: 'blue-green', config: rollout(params) });
      await until(async () => (await hypercareChecks(pool, 'v3')) >= 1, 'a hypercare check');
      // The real command, from another process, against the same store.
      const env = { ...process.env, CCR_CONFIG: join(dir, 'rollout.yaml'), CCR_DATABASE_URL: db.url, CCR_HOME: dir, CCR_ACTOR: 'tester' };
      const cli = (...args: string[]) => run(process.execPath, [join(root, 'apps/conductor/bin/ccr.mjs'), 'hypercare', ...args, '--env', 'test', '--json'], { cwd: root, env });
      const status = JSON.parse((await cli('status')).stdout) as { version: string; checks: number; signals: Array<{ metric: string }> };
      assert.equal(status.version, 'v3');
      assert.ok(status.signals.some((x) => x.metric === 'error-rate'));
      const ended = JSON.parse((await cli('end', '--reason', 'UAT signed off, quiet night')).stdout) as { release: string; hypercare: string; by: string };
      assert.equal(ended.hypercare, 'ended');
      assert.equal(ended.by, 'os:tester');
      const { outcome, release } = await deploy;
      assert.equal(outcome.state, 'promoted', outcome.reason);
      const step = (await pool.query(`SELECT status, reason FROM release_steps WHERE release_id = $1 AND step_id = 'hypercare'`, [release.id])).rows[0];
      assert.equal(step.status, 'done');
      assert.match(step.reason, /ended early by os:tester after \d+ check\(s\): UAT signed off/);
      const actions = (await listAudit(pool, { releaseId: release.id })).map((a) => `${a.actor}:${a.action}`);
      assert.ok(actions.includes('tester:control.hypercare-end'), actions.join());
      assert.ok(actions.includes('test:hypercare.ended'), actions.join());
      // Nothing left in hypercare: the command refuses, naming why.
      const again = await cli('end', '--reason', 'twice').then(() => assert.fail('must refuse'), (e: { stdout: string }) => JSON.parse(e.stdout) as { error: { code: string } });
      assert.equal(again.error.code, 'not_found');
    } finally {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('outbox backlog, Kafka relay lag, instance restarts and disk breach on real inputs', async () => {
    const p = hypercareParams.parse({ outbox: { maxPending: 100, maxOldestAgeSeconds: 60 }, restarts: { max: 0 }, disk: { minFreeRatio: 1 } });
    let pending = 12;
    const api = http.createServer((_req, res) => res.end(`# TYPE cc_api_outbox_pending gauge\ncc_api_outbox_pending ${pending}\ncc_api_outbox_oldest_age_seconds ${pending > 100 ? 420 : 2}\n`));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    try {
      const at = (metricsUrl: string) => [{ id: 'i1', version: 'v1', url: 'http://127.0.0.1:1', metricsUrl, state: 'ready' as const }];
      const route = at(`http://127.0.0.1:${(api.address() as AddressInfo).port}`);
      assert.deepEqual((await outboxSignals(p, route, 'v1')).map((m) => [m.metric, m.verdict, m.value]), [['outbox-backlog', 'pass', 12], ['kafka-lag', 'pass', 2]]);
      pending = 5000;
      const bad = await outboxSignals(p, route, 'v1');
      assert.deepEqual(bad.map((m) => [m.metric, m.verdict, m.value]), [['outbox-backlog', 'fail', 5000], ['kafka-lag', 'fail', 420]]);
      assert.match(bad[1]!.reason, /420 s .* over the limit of 60 s/);
      const gone = await outboxSignals(p, at('http://127.0.0.1:1'), 'v1');
      assert.equal(gone[0]!.verdict, 'inconclusive', 'an unreachable /metrics is "could not check", not a breach');
      const unknown = await outboxSignals(p, route, 'v2');
      assert.equal(unknown[0]!.verdict, 'inconclusive', 'no instance of the version: could not check');
    } finally {
      await new Promise((r) => api.close(r));
    }

    await s.target.start('v9', 2);
    assert.equal((await restartSignal(p, s.target, 'v9', 2))[0]!.verdict, 'pass');
    const victim = (await s.target.instances()).find((i) => i.version === 'v9')!;
    await s.fleet.stop(victim.id);
    const restarts = await restartSignal(p, s.target, 'v9', 2);
    assert.deepEqual([restarts[0]!.verdict, restarts[0]!.value], ['fail', 1]);

    const disk = diskSignal(p, process.cwd());
    assert.equal(disk[0]!.verdict, 'fail', 'no disk is 100% free');
    assert.ok(disk[0]!.value! > 0 && disk[0]!.value! < 1);
    assert.equal(diskSignal(hypercareParams.parse({ disk: { minFreeRatio: 0 } }), process.cwd())[0]!.verdict, 'pass');
  });
});
