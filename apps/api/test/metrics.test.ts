import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

/** Value of the first sample whose name matches and whose labels include all given pairs. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}

describe('GET /metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { APP_VERSION: '2.0.0-test', APP_COMMIT: 'feedbee' } });
  });
  after(() => t.close());

  test('serves Prometheus text that promtool accepts', async () => {
    await t.app.inject('/health/live');
    const res = await t.server.metricsApp.inject('/metrics');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    assert.equal(check.error, undefined, 'promtool is installed (.ci/run installs prometheus)');
    // Exit 0 is clean; lint remarks alone would exit 3. Anything else is a parse error.
    assert.ok(check.status === 0 || check.status === 3, `promtool: ${check.status} ${check.stderr}${check.stdout}`);
    assert.doesNotMatch(`${check.stdout}${check.stderr}`, /error parsing|text format parsing/i);
  });

  test('the HTTP counter and latency histogram are labelled by route, method and status', async () => {
    const user = await t.createUser();
    for (let i = 0; i < 3; i++) await t.app.inject('/health/live');
    await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(user.accessToken), payload: { actionType: 'page.view' } });
    await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(user.accessToken), payload: { actionType: 'BAD' } });
    await t.app.inject('/no/such/route');
    const text = (await t.server.metricsApp.inject('/metrics')).body;

    assert.ok((sample(text, 'cc_api_http_requests_total', { route: '/health/live', method: 'GET', status: '200' }) ?? 0) >= 3);
    assert.ok((sample(text, 'cc_api_http_request_duration_seconds_count', { route: '/health/live', method: 'GET', status: '200' }) ?? 0) >= 3);
    assert.ok((sample(text, 'cc_api_http_request_duration_seconds_bucket', { route: '/health/live', status: '200', le: '+Inf' }) ?? 0) >= 3);
    assert.equal(sample(text, 'cc_api_http_request_duration_seconds_count', { route: '/api/actions', method: 'POST', status: '202' }), 1);
    assert.equal(sample(text, 'cc_api_http_request_duration_seconds_count', { route: '/api/actions', method: 'POST', status: '400' }), 1);
    // Unknown paths share one label value, so scanners cannot explode the series count.
    assert.ok((sample(text, 'cc_api_http_requests_total', { route: 'unmatched', status: '404' }) ?? 0) >= 1);
    assert.doesNotMatch(text, /route="\/no\/such\/route"/);
  });

  test('outbox pending count and oldest age come from the database', async () => {
    const user = await t.createUser();
    await t.server.ctx.db.query('UPDATE outbox_events SET published_at = now() WHERE published_at IS NULL');
    let text = (await t.server.metricsApp.inject('/metrics')).body;
    assert.equal(sample(text, 'cc_api_outbox_pending'), 0);
    assert.equal(sample(text, 'cc_api_outbox_oldest_age_seconds'), 0);

    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(user.accessToken), payload: { actionType: 'page.view' } });
      assert.equal(r.statusCode, 202);
    }
    await t.server.ctx.db.query(
      "UPDATE outbox_events SET created_at = now() - interval '90 seconds' WHERE id = (SELECT min(id) FROM outbox_events WHERE published_at IS NULL)",
    );
    text = (await t.server.metricsApp.inject('/metrics')).body;
    assert.equal(sample(text, 'cc_api_outbox_pending'), 3);
    const age = sample(text, 'cc_api_outbox_oldest_age_seconds')!;
    assert.ok(age >= 90 && age < 120, `oldest age ${age}`);
    assert.equal(sample(text, 'cc_api_outbox_relay_errors_total'), 0);
    assert.equal(sample(text, 'cc_api_outbox_published_total'), 0);
  });

  test('database pool gauges and build info are exported', async () => {
    const text = (await t.server.metricsApp.inject('/metrics')).body;
    const total = sample(text, 'cc_api_db_pool_connections', { state: 'total' });
    const idle = sample(text, 'cc_api_db_pool_connections', { state: 'idle' });
    assert.ok(total !== null && total >= 1 && total <= 10, `total ${total}`);
    assert.ok(idle !== null && idle <= total);
    assert.equal(sample(text, 'cc_api_db_pool_connections', { state: 'waiting' }), 0);
    assert.equal(sample(text, 'cc_api_build_info', { version: '2.0.0-test', commit: 'feedbee' }), 1);
    assert.match(text, /^cc_api_process_\w*resident_memory_bytes [1-9]\d*$/m);
  });
});
