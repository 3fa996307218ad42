import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createRouter, type Router } from '@cc/router';
import { listMeasurements } from '../src/analysis/record.js';
import { parseRollout } from '../src/config/index.js';
import { RouterAdminClient } from '../src/runtime/router-client.js';
import { openStorePool } from '../src/store/index.js';
import { LocalTarget } from '../src/targets/local-target.js';
import { FakeFleet, type Stage } from './support/fake-fleet.js';
import { startPrometheus, type TestPrometheus } from './support/prometheus.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runDeploy } from './support/strategy-harness.js';

// Canary analysis with the Prometheus provider end to end: a real router in front of real
// upstreams, a real Prometheus scraping the router's admin /metrics (bearer token) every
// second, and the real executor, canary strategy, analysis step and rollback. The verdict
// comes from PromQL over the router's per-version counters, and each measurement is stored
// with the value Prometheus returned.

const ADMIN_TOKEN = 'admin-token-for-prometheus-tests';
const config = parseRollout(`
version: 1
defaultEnvironment: test
environments:
  test:
    target: { type: local, instances: 1 }
    strategy: canary
    canary:
      steps:
        - { weight: 50, pause: 500ms }
        - { analysis: promql }
        - { weight: 100 }
analysis:
  promql:
    # a 4 s window holds ~4 scrapes at 1 s: room for a late scrape on a busy machine
    interval: 4s
    count: 2
    failureLimit: 0
    minRequests: 10
    lowTraffic: { action: wait }
    metrics:
      - name: error-rate
        provider: prometheus
        query: 'sum(rate(cc_router_requests_total{service="api",version="{{canary}}",code_class="5xx"}[{{window}}])) / sum(rate(cc_router_requests_total{service="api",version="{{canary}}"}[{{window}}]))'
        successCondition: 'result <= 0.1'
        failureCondition: 'result > 0.1'
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
`, 'prometheus-canary.yaml');

describe('canary analysis through Prometheus', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let router: Router;
  let prom: TestPrometheus;
  let s: Stage;
  let traffic = true;
  let trafficDone: Promise<void>;
  const savedUrl = process.env['PROMETHEUS_URL'];

  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
    router = await createRouter({ adminToken: ADMIN_TOKEN, pinToken: 'pin-token-for-prometheus-tests', host: '127.0.0.1', healthCheck: { intervalMs: 200, timeoutMs: 500 }, drainTimeoutMs: 1000 });
    const { port, adminPort } = await router.listen();
    const fleet = new FakeFleet();
    const publicUrl = `http://127.0.0.1:${port}`;
    const target = new LocalTarget({ controller: fleet, router: new RouterAdminClient(`http://127.0.0.1:${adminPort}`, ADMIN_TOKEN), publicUrl, pinToken: 'pin-token-for-prometheus-tests' });
    await target.start('v1', 1);
    await target.route({ api: { v1: 100 }, web: { v1: 100 } });
    s = { fleet, router, target, publicUrl, close: async () => { await router.close(500); await fleet.close(); } };
    prom = await startPrometheus([{ job: 'cc-router', targets: [`127.0.0.1:${adminPort}`], bearer: ADMIN_TOKEN }]);
    process.env['PROMETHEUS_URL'] = prom.url;
    const worker = async () => {
      while (traffic) {
        await fetch(`${publicUrl}/api/games/slots/spin`, { method: 'POST' }).then((r) => r.arrayBuffer(), () => undefined);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    trafficDone = Promise.all([worker(), worker()]).then(() => undefined);
    await prom.waitFor('cc_router_requests_total{version="v1",code_class="2xx"} > 0');
  });
  after(async () => {
    traffic = false;
    await trafficDone;
    if (savedUrl === undefined) delete process.env['PROMETHEUS_URL'];
    else process.env['PROMETHEUS_URL'] = savedUrl;
    await prom?.close();
    await s?.close();
    await pool.end();
    await db.drop();
  });

  test('a canary failing 40% of requests is rolled back on the PromQL verdict, with the value on record', async () => {
    s.fleet.behaviour.set('v2', { errorRate: 0.4 });
    const { outcome, release } = await runDeploy(pool, s, { version: 'v2', stable: 'v1', strategy: 'canary', config });
    assert.equal(outcome.state, 'rolled_back', outcome.reason);
    assert.match(outcome.reason, /error-rate = 0\.\d+: meets the failure condition "result > 0\.1"/);
    assert.deepEqual((await s.target.traffic()).split.api, { v1: 100 });
    // A window whose series Prometheus has not scraped twice yet is inconclusive, never a pass.
    const ms = (await listMeasurements(pool, release.id)).filter((m) => m.provider === 'prometheus' && m.verdict !== 'inconclusive');
    assert.equal(ms.length, 1, 'failureLimit 0: the first failing window ends it');
    assert.equal(ms[0]!.verdict, 'fail');
    assert.ok(ms[0]!.value! > 0.2 && ms[0]!.value! < 0.6, `stored value ${ms[0]!.value}`);
    assert.match(String(ms[0]!.details['query']), /version="v2"/);
  });

  test('a healthy canary passes both windows on PromQL and is promoted', async () => {
    s.fleet.behaviour.set('v3', { errorRate: 0 });
    const { outcome, release } = await runDeploy(pool, s, { version: 'v3', stable: 'v1', strategy: 'canary', config });
    assert.equal(outcome.state, 'promoted', outcome.reason);
    const ms = (await listMeasurements(pool, release.id)).filter((m) => m.provider === 'prometheus' && m.verdict !== 'inconclusive');
    assert.deepEqual(ms.map((m) => [m.verdict, m.value]), [['pass', 0], ['pass', 0]]);
    assert.deepEqual((await s.target.traffic()).split.api, { v3: 100 });
  });
});
