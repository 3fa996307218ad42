// Changes without downtime, seen from the client side: connection closing after a
// drained target's response, the drain timeout, ejection with one resend, and resending
// when the upstream closes kept-alive connections.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { request, sleep, waitFor } from './support/http-client.js';
import { apiOnly, startRouter, t } from './support/router-fixture.js';
import { deadUrl, startUpstream } from './support/upstream.js';

test('a keep-alive client served by a drained target gets Connection: close on its next response', async () => {
  const v1 = await startUpstream({ id: 'a1', version: 'v1' });
  const v2 = await startUpstream({ id: 'a2', version: 'v2' });
  const fx = await startRouter(apiOnly(t(v1, 100)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await request(`${fx.base}/api/x`, { agent });
    assert.equal(a.headers.connection, 'keep-alive');
    const b = await request(`${fx.base}/api/x`, { agent });
    assert.equal(b.headers.connection, 'keep-alive', 'the same connection stays open while v1 is live');

    await fx.router.setState(apiOnly(t(v1, 0), t(v2, 100)));
    const c = await request(`${fx.base}/api/x`, { agent });
    assert.equal(c.headers['x-cc-served-by'], 'v2');
    assert.equal(c.headers.connection, 'close', 'the connection last served by v1 closes');
    const d = await request(`${fx.base}/api/x`, { agent });
    assert.equal(d.headers.connection, 'keep-alive', 'a new connection served by v2 is kept');
  } finally {
    agent.destroy();
    await fx.stop();
    await Promise.all([v1.kill(), v2.kill()]);
  }
});

test('a removed target drains: in-flight finishes, then its pool is closed', async () => {
  const v1 = await startUpstream({ id: 'a1', version: 'v1' });
  const v2 = await startUpstream({ id: 'a2', version: 'v2' });
  const fx = await startRouter(apiOnly(t(v1, 100)));
  try {
    const slow = request(`${fx.base}/api/slow?ms=600`);
    await waitFor('the slow request upstream', () => v1.hits === 1);
    await fx.router.setState(apiOnly(t(v2, 100)));
    assert.deepEqual(fx.router.drainingTargets(), ['a1']);
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'close');
    await waitFor('the drain to finish', () => fx.router.drainingTargets().length === 0);
  } finally {
    await fx.stop();
    await Promise.all([v1.kill(), v2.kill()]);
  }
});

test('the drain timeout cuts requests that outlive it', async () => {
  const v1 = await startUpstream({ id: 'a1', version: 'v1' });
  const v2 = await startUpstream({ id: 'a2', version: 'v2' });
  const fx = await startRouter(apiOnly(t(v1, 100)), { drainTimeoutMs: 200 });
  try {
    const slow = request(`${fx.base}/api/slow?ms=3000`);
    await waitFor('the slow request upstream', () => v1.hits === 1);
    const started = Date.now();
    await fx.router.setState(apiOnly(t(v2, 100)));
    const r = await slow;
    assert.equal(r.status, 502);
    assert.ok(Date.now() - started < 2500, 'cut at the drain timeout, not when the upstream answered');
    assert.deepEqual(fx.router.drainingTargets(), []);
  } finally {
    await fx.stop();
    await Promise.all([v1.kill(), v2.kill()]);
  }
});

test('a refusing target is ejected after one try; the GET is resent to the same version', async () => {
  const live = await startUpstream({ id: 'live', version: 'v1' });
  const other = await startUpstream({ id: 'other', version: 'v2' });
  const dead = await deadUrl();
  const fx = await startRouter(apiOnly(t(live, 1), { id: 'dead', version: 'v1', url: dead, weight: 1000 }, t(other, 0)));
  try {
    const r = await request(`${fx.base}/api/x`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-cc-served-by'], 'v1');
    const ejected = fx.router.targets().find((x) => x.id === 'dead');
    assert.equal(ejected?.ejected, true);
    for (let i = 0; i < 20; i++) assert.equal((await request(`${fx.base}/api/x`)).status, 200);
    assert.equal(live.hits, 21);
    assert.equal(other.hits, 0, 'the resend stays on the same version');
    assert.equal(fx.router.metrics().versions.find((v) => v.version === 'v1')?.upstreamErrors, 1);

    // A POST is not resent: it may have side effects.
    await fx.router.setState(apiOnly({ id: 'dead2', version: 'v1', url: dead, weight: 1 }, t(live, 1)));
    let saw502 = false;
    for (let i = 0; i < 20 && !saw502; i++) {
      const p = await request(`${fx.base}/api/x`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      saw502 = p.status === 502;
      if (saw502) assert.equal(p.json<{ error: { code: string } }>().error.code, 'bad_gateway');
    }
    assert.ok(saw502, 'a POST that hit the refusing target was answered 502');
  } finally {
    await fx.stop();
    await Promise.all([live.kill(), other.kill()]);
  }
});

test('an upstream closing idle keep-alive connections causes no failed request', async () => {
  // An upstream that closes idle connections after 50 ms, faster than the router's idle limit.
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 50;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const fx = await startRouter(apiOnly({ id: 'k', version: 'v1', url, weight: 1 }), { upstreamIdleMs: 60_000 });
  try {
    for (let i = 0; i < 5; i++) {
      const r = await request(`${fx.base}/api/x`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
      await sleep(120);
    }
  } finally {
    await fx.stop();
    server.closeAllConnections();
    server.close();
  }
});
