// The admin API: bearer auth, compare-and-set, input validation naming the field,
// maintenance toggling and both metrics formats.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouterMetricsSnapshot, RouterStateDocument } from '@cc/contracts';
import { request } from './support/http-client.js';
import { ADMIN_TOKEN, apiOnly, startRouter, t, type Fixture } from './support/router-fixture.js';
import { startUpstream, type Upstream } from './support/upstream.js';

describe('admin API', () => {
  let fx: Fixture;
  let v1: Upstream;
  let v2: Upstream;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };

  before(async () => {
    v1 = await startUpstream({ id: 'a1', version: 'v1' });
    v2 = await startUpstream({ id: 'a2', version: 'v2' });
    fx = await startRouter(apiOnly(t(v1, 100)));
  });
  after(async () => {
    await fx.stop();
    await Promise.all([v1.kill(), v2.kill()]);
  });

  test('rejects a missing or wrong token with 401 on every route', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/admin/state'],
      ['PUT', '/admin/state'],
      ['POST', '/admin/maintenance'],
      ['GET', '/metrics'],
      ['GET', '/admin/metrics.json'],
    ];
    for (const [method, path] of routes) {
      const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${ADMIN_TOKEN}` }, { authorization: `Bearer ${ADMIN_TOKEN}x` }];
      for (const headers of attempts) {
        const r = await request(`${fx.admin}${path}`, { method, headers, body: method === 'GET' ? undefined : '{}' });
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
        assert.equal(r.json<{ error: { code: string } }>().error.code, 'unauthorized');
      }
    }
    assert.equal((await request(`${fx.admin}/admin/state`, { headers: auth })).status, 200);
  });

  test('listens on loopback only', () => {
    assert.match(fx.admin, /^http:\/\/127\.0\.0\.1:/);
  });

  test('compare-and-set: a stale expectedVersion gets 409 and changes nothing', async () => {
    const doc = (await request(`${fx.admin}/admin/state`, { headers: auth })).json<RouterStateDocument>();
    const next = apiOnly(t(v1, 50), t(v2, 50));
    const ok = await request(`${fx.admin}/admin/state`, { method: 'PUT', headers: json, body: JSON.stringify({ expectedVersion: doc.version, state: next }) });
    assert.equal(ok.status, 200);
    assert.equal(ok.json<RouterStateDocument>().version, doc.version + 1);

    const stale = await request(`${fx.admin}/admin/state`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ expectedVersion: doc.version, state: apiOnly(t(v2, 100)) }),
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.json<{ error: { code: string } }>().error.code, 'version_conflict');
    const now = (await request(`${fx.admin}/admin/state`, { headers: auth })).json<RouterStateDocument>();
    assert.equal(now.version, doc.version + 1);
    assert.equal(now.state.services.api.targets.length, 2);
  });

  test('bad input gets 400 naming the field', async () => {
    const doc = (await request(`${fx.admin}/admin/state`, { headers: auth })).json<RouterStateDocument>();
    const cases: Array<[unknown, string]> = [
      [{ state: apiOnly(t(v1, 1)) }, 'expectedVersion'],
      [{ expectedVersion: doc.version, state: apiOnly({ ...t(v1, 1), url: 'ftp://x' }) }, 'state.services.api.targets[0].url'],
      [{ expectedVersion: doc.version, state: apiOnly({ ...t(v1, 1), weight: -1 }) }, 'state.services.api.targets[0].weight'],
      [{ expectedVersion: doc.version, state: apiOnly({ ...t(v1, 1), version: 'v 1;x' }) }, 'state.services.api.targets[0].version'],
      [{ expectedVersion: doc.version, state: apiOnly(t(v1, 1), t(v1, 2)) }, 'state.services.api.targets[1].id'],
      [{ expectedVersion: doc.version, state: { services: { api: { targets: [] } } } }, 'state.services.web'],
      [
        { expectedVersion: doc.version, state: { ...apiOnly(t(v1, 1)), maintenance: { enabled: true, allowCidrs: ['300.1.1.1/8'] } } },
        'state.maintenance.allowCidrs[0]',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await request(`${fx.admin}/admin/state`, { method: 'PUT', headers: json, body: JSON.stringify(body) });
      assert.equal(r.status, 400, `${field}: ${r.body}`);
      const err = r.json<{ error: { code: string; field: string; message: string } }>().error;
      assert.equal(err.field, field);
      assert.ok(err.message.length > 0);
    }
    const notJson = await request(`${fx.admin}/admin/state`, { method: 'PUT', headers: json, body: '{nope' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json<{ error: { field: string } }>().error.field, 'body');
    const badToggle = await request(`${fx.admin}/admin/maintenance`, { method: 'POST', headers: json, body: JSON.stringify({ enabled: 'yes' }) });
    assert.equal(badToggle.status, 400);
    assert.equal(badToggle.json<{ error: { field: string } }>().error.field, 'enabled');
    const after = (await request(`${fx.admin}/admin/state`, { headers: auth })).json<RouterStateDocument>();
    assert.equal(after.version, doc.version, 'rejected input changes nothing');
  });

  test('POST /admin/maintenance toggles maintenance with message and Retry-After', async () => {
    const on = await request(`${fx.admin}/admin/maintenance`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ enabled: true, message: 'Upgrading', retryAfter: 30 }),
    });
    assert.equal(on.status, 200);
    assert.deepEqual(on.json<RouterStateDocument>().state.maintenance, { enabled: true, message: 'Upgrading', retryAfter: 30, allowCidrs: [] });
    const r = await request(`${fx.base}/api/x`);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '30');
    const off = await request(`${fx.admin}/admin/maintenance`, { method: 'POST', headers: json, body: JSON.stringify({ enabled: false }) });
    assert.equal(off.status, 200);
    assert.equal((await request(`${fx.base}/api/x`)).status, 200);
  });

  test('unknown routes get 404, wrong methods 405', async () => {
    assert.equal((await request(`${fx.admin}/admin/nope`, { headers: auth })).status, 404);
    assert.equal((await request(`${fx.admin}/admin/state`, { method: 'DELETE', headers: auth })).status, 405);
  });

  test('serves per-version metrics as Prometheus text and as JSON with percentiles', async () => {
    const doc = (await request(`${fx.admin}/admin/state`, { headers: auth })).json<RouterStateDocument>();
    await request(`${fx.admin}/admin/state`, { method: 'PUT', headers: json, body: JSON.stringify({ expectedVersion: doc.version, state: apiOnly(t(v2, 1)) }) });
    for (let i = 0; i < 20; i++) await request(`${fx.base}/api/m`);
    const prom = await request(`${fx.admin}/metrics`, { headers: auth });
    assert.equal(prom.status, 200);
    assert.match(String(prom.headers['content-type']), /^text\/plain/);
    const line = prom.body.split('\n').find((l) => l.startsWith('cc_router_requests_total{service="api",version="v2",code_class="2xx"}'));
    assert.ok(line, prom.body);
    assert.ok(Number(line.split(' ')[1]) >= 20);
    assert.match(prom.body, /cc_router_request_duration_seconds_bucket\{service="api",version="v2",le="\+Inf"\} \d+/);
    assert.match(prom.body, /cc_router_upstream_errors_total\{service="api",version="v2"\} 0/);

    const snap = (await request(`${fx.admin}/admin/metrics.json`, { headers: auth })).json<RouterMetricsSnapshot>();
    const v = snap.versions.find((x) => x.service === 'api' && x.version === 'v2');
    assert.ok(v);
    assert.ok(v.requests['2xx'] >= 20);
    assert.equal(v.total, v.requests['2xx'] + v.requests['3xx'] + v.requests['4xx'] + v.requests['5xx']);
    const { p50, p95, p99 } = v.latencyMs;
    assert.ok(p50 !== null && p95 !== null && p99 !== null && p50 > 0 && p50 <= p95 && p95 <= p99);
  });
});
