import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, waitFor } from '../../../packages/router/test/support/http-client.js';
import { startUpstream, type Upstream } from '../../../packages/router/test/support/upstream.js';
import { readCounters } from '../src/targets/haproxy/counters.js';
import { readServers } from '../src/targets/haproxy/server-rows.js';
import { startLiveHaproxy, type LiveHaproxy } from './haproxy-stage.js';

// What the Runtime API does underneath the contracts: one HAProxy process from start to end
// (servers are added and deleted live, never by a reload), a removed server drains its
// in-flight request before it is deleted, and the per-version counters outlive its servers.

const PIN = 'data-plane-pin-token';

describe('haproxy data plane', () => {
  let h: LiveHaproxy;
  let v1: Upstream;
  let v2: Upstream;
  before(async () => {
    h = await startLiveHaproxy({ pinToken: PIN, health: { intervalMs: 100, timeoutMs: 500, rise: 2, fall: 2 }, drainTimeoutMs: 5_000 });
    v1 = await startUpstream({ id: 'x1', version: 'v1' });
    v2 = await startUpstream({ id: 'x2', version: 'v2' });
  });
  after(async () => {
    await h.stop();
    await Promise.all([v1.kill(), v2.kill()]);
  });

  const t = (u: Upstream, weight: number) => ({ id: u.id, version: u.version, url: u.url, weight });
  const pid = async () => /Pid: (\d+)/.exec(await h.proc.runtime.exec('show info'))![1];

  test('servers are added, reweighted and deleted on the running process, without a reload', async () => {
    const before = await pid();
    await h.plane.applyState({ services: { api: { targets: [t(v1, 3)] }, web: { targets: [] } } });
    assert.deepEqual((await readServers(h.proc.runtime, 'cc_api')).map((r) => [r.name, r.weight]), [['x1', 256]]);
    await h.plane.applyState({ services: { api: { targets: [t(v1, 1), t(v2, 3)] }, web: { targets: [] } } });
    assert.deepEqual((await readServers(h.proc.runtime, 'cc_api')).map((r) => [r.name, r.weight]), [['x1', 85], ['x2', 256]]);
    const state = await h.plane.readState();
    assert.deepEqual(state.services.api.targets.map((x) => [x.id, x.version, x.weight]), [['x1', 'v1', 1], ['x2', 'v2', 3]], 'plan weights read back exactly');
    assert.equal(await pid(), before, 'the same HAProxy process throughout');
    assert.equal(h.proc.process.exitStatus(), null);
  });

  test('a removed server drains: its in-flight request completes, then it is deleted; counters outlive it', async () => {
    const slow = request(`${h.baseUrl}/api/slow?ms=800`, { headers: { 'x-cc-version': 'v1', 'x-cc-pin-token': PIN } });
    await waitFor('the slow request to reach v1', () => v1.hits >= 1);
    const removing = h.plane.applyState({ services: { api: { targets: [t(v2, 1)] }, web: { targets: [] } } });
    // The pinned request went through v1's version backend, where x1 waits for it.
    await waitFor('x1 to leave rotation', async () => {
      const row = (await readServers(h.proc.runtime, 'cc_api_v0')).find((r) => r.name === 'x1');
      return row !== undefined && (row.adminState & 0x09) !== 0; // drain or maint, but still there
    });
    assert.ok(!(await readServers(h.proc.runtime, 'cc_api')).some((r) => r.name === 'x1' && !(r.adminState & 0x09)), 'x1 out of the weighted backend');
    assert.equal((await request(`${h.baseUrl}/api/next`)).headers['x-cc-served-by'], 'v2', 'no new request reaches a draining server');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-cc-served-by'], 'v1');
    await removing;
    assert.deepEqual((await readServers(h.proc.runtime, 'cc_api')).map((x) => x.name), ['x2'], 'x1 deleted once idle');
    assert.deepEqual((await readServers(h.proc.runtime, 'cc_api_v0')).map((x) => x.name), [], 'and from its version backend');
    const counters = await readCounters(h.proc.runtime);
    const c1 = counters.find((c) => c.service === 'api' && c.version === 'v1');
    assert.ok(c1 && c1.total >= 1, `v1's requests are still counted after its server is gone: ${JSON.stringify(counters)}`);
    // The slow request took 800 ms: it sits above the 0.5 s bound and within 1 s.
    const le = (b: number) => c1.buckets.find((x) => x.le === b)!.count;
    assert.ok(le(1) - le(0.5) >= 1, JSON.stringify(c1.buckets));
  });
});
