// Routing behaviour every router backend must show, run against real upstream servers on
// ephemeral ports. A backend joins by providing a RouterDriverFactory.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import type { RouterStateInput, RouterTarget } from '@cc/contracts';
import { inParallel, request, waitFor } from '../support/http-client.js';
import { deadUrl, startUpstream, type Upstream } from '../support/upstream.js';
import type { RouterDriver, RouterDriverFactory } from './router-driver.js';

const PIN_TOKEN = 'contract-pin-token-123';
const HEALTH = { intervalMs: 50, timeoutMs: 500, rise: 2, fall: 2 };

function target(u: Upstream, weight: number): RouterTarget {
  return { id: u.id, version: u.version, url: u.url, weight };
}

function state(api: RouterTarget[], web: RouterTarget[], maintenance?: RouterStateInput['maintenance']): RouterStateInput {
  return { services: { api: { targets: api }, web: { targets: web } }, ...(maintenance ? { maintenance } : {}) };
}

export function runRouterContract(name: string, factory: RouterDriverFactory): void {
  describe(`router contract: ${name}`, () => {
    const upstreams: Upstream[] = [];
    let driver: RouterDriver | undefined;

    async function setup(ups: Array<{ id: string; version: string; assets?: string[] }>, build: (u: Upstream[]) => RouterStateInput) {
      const started = await Promise.all(ups.map((u) => startUpstream(u)));
      upstreams.push(...started);
      driver = await factory({ initialState: build(started), pinToken: PIN_TOKEN, health: HEALTH });
      return { d: driver, u: started };
    }

    async function teardown() {
      await driver?.stop();
      driver = undefined;
      await Promise.all(upstreams.splice(0).map((u) => u.kill()));
    }

    test('weights hold within ±3% over 10,000 requests, and metrics count them per version', async () => {
      try {
        const { d, u } = await setup([{ id: 'a1', version: 'v1' }, { id: 'a2', version: 'v2' }], ([a, b]) =>
          state([target(a!, 70), target(b!, 30)], []),
        );
        const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
        const seen: Record<string, number> = { v1: 0, v2: 0 };
        await inParallel(10_000, 32, async () => {
          const r = await request(`${d.baseUrl}/api/ping`, { agent });
          assert.equal(r.status, 200);
          seen[String(r.headers['x-cc-served-by'])]!++;
        });
        agent.destroy();
        assert.equal(seen.v1! + seen.v2!, 10_000);
        const share = seen.v1! / 10_000;
        assert.ok(share >= 0.67 && share <= 0.73, `v1 got ${(share * 100).toFixed(1)}% instead of 70% ±3`);
        assert.equal(u[0]!.hits, seen.v1);
        const m = await d.readMetrics();
        const count = (v: string) => m.versions.find((x) => x.service === 'api' && x.version === v)?.requests['2xx'];
        assert.equal(count('v1'), seen.v1);
        assert.equal(count('v2'), seen.v2);
      } finally {
        await teardown();
      }
    });

    test('the sticky cookie keeps a user on one version during a canary', async () => {
      try {
        const { d } = await setup([{ id: 'w1', version: 'v1' }, { id: 'w2', version: 'v2' }], ([a, b]) =>
          state([], [target(a!, 50), target(b!, 50)]),
        );
        const firstVersions = new Set<string>();
        for (let user = 0; user < 20; user++) {
          const first = await request(`${d.baseUrl}/`);
          assert.equal(first.status, 200);
          const version = String(first.headers['x-cc-served-by']);
          firstVersions.add(version);
          const cookie = (first.headers['set-cookie'] ?? []).find((c) => c.startsWith('cc_v='));
          assert.ok(cookie, 'a weighted choice between two live versions sets cc_v');
          assert.equal(cookie.split(';')[0], `cc_v=${version}`);
          for (let i = 0; i < 10; i++) {
            const r = await request(`${d.baseUrl}/page/${i}`, { headers: { cookie: `theme=dark; cc_v=${version}` } });
            assert.equal(r.headers['x-cc-served-by'], version);
          }
        }
        // 20 users on a 50/50 split all landing on one side would mean no split at all.
        assert.equal(firstVersions.size, 2);
      } finally {
        await teardown();
      }
    });

    test('a sticky cookie for a version that lost its traffic is not honoured', async () => {
      try {
        const { d, u } = await setup([{ id: 'w1', version: 'v1' }, { id: 'w2', version: 'v2' }], ([a, b]) =>
          state([], [target(a!, 50), target(b!, 50)]),
        );
        await d.applyState(state([], [target(u[0]!, 100), target(u[1]!, 0)]));
        for (let i = 0; i < 10; i++) {
          const r = await request(`${d.baseUrl}/`, { headers: { cookie: 'cc_v=v2' } });
          assert.equal(r.headers['x-cc-served-by'], 'v1');
        }
      } finally {
        await teardown();
      }
    });

    test('pinning needs the token', async () => {
      try {
        const { d } = await setup([{ id: 'a1', version: 'v1' }, { id: 'a2', version: 'v2' }], ([a, b]) =>
          state([target(a!, 100), target(b!, 0)], []),
        );
        const pinned = await request(`${d.baseUrl}/api/x`, { headers: { 'x-cc-version': 'v2', 'x-cc-pin-token': PIN_TOKEN } });
        assert.equal(pinned.status, 200);
        assert.equal(pinned.headers['x-cc-served-by'], 'v2', 'a valid token reaches a version with no weight');
        const unpinned: Array<Record<string, string>> = [{ 'x-cc-version': 'v2' }, { 'x-cc-version': 'v2', 'x-cc-pin-token': 'wrong-token-xxxxx' }];
        for (const headers of unpinned) {
          for (let i = 0; i < 5; i++) {
            const r = await request(`${d.baseUrl}/api/x`, { headers });
            assert.notEqual(r.headers['x-cc-served-by'], 'v2', `pinned without a valid token: ${JSON.stringify(headers)}`);
            assert.ok(r.status === 403 || r.status === 200, `unexpected status ${r.status}`);
          }
        }
      } finally {
        await teardown();
      }
    });

    test('maintenance answers 503 with Retry-After: a page for browsers, the JSON error for /api', async () => {
      try {
        const { d, u } = await setup([{ id: 'a1', version: 'v1' }, { id: 'w1', version: 'v1' }], ([a, w]) =>
          state([target(a!, 1)], [target(w!, 1)], { enabled: true, message: 'Back at <noon>', retryAfter: 120 }),
        );
        const page = await request(`${d.baseUrl}/play`, { headers: { accept: 'text/html' } });
        assert.equal(page.status, 503);
        assert.equal(page.headers['retry-after'], '120');
        assert.match(String(page.headers['content-type']), /^text\/html/);
        assert.match(page.body, /Back at &#60;noon&#62;/);

        const api = await request(`${d.baseUrl}/api/wallet`);
        assert.equal(api.status, 503);
        assert.equal(api.headers['retry-after'], '120');
        assert.match(String(api.headers['content-type']), /^application\/json/);
        const err = api.json<{ error: { code: string; message: string; requestId: string } }>().error;
        assert.equal(err.code, 'maintenance');
        assert.equal(err.message, 'Back at <noon>');
        assert.ok(err.requestId.length > 0);
        assert.equal(u[0]!.hits + u[1]!.hits, 0, 'nothing reaches the upstreams');

        const bypass = await request(`${d.baseUrl}/api/wallet`, { headers: { 'x-cc-pin-token': PIN_TOKEN } });
        assert.equal(bypass.status, 200, 'a valid pin token bypasses maintenance');

        await d.applyState(state([target(u[0]!, 1)], [target(u[1]!, 1)], { enabled: true, allowCidrs: ['10.0.0.0/8'] }));
        assert.equal((await request(`${d.baseUrl}/`)).status, 503, 'a CIDR that does not hold the client changes nothing');
        await d.applyState(state([target(u[0]!, 1)], [target(u[1]!, 1)], { enabled: true, allowCidrs: ['127.0.0.0/8'] }));
        assert.equal((await request(`${d.baseUrl}/`)).status, 200, 'an allow-listed CIDR bypasses maintenance');
        await d.applyState(state([target(u[0]!, 1)], [target(u[1]!, 1)], { enabled: false }));
        assert.equal((await request(`${d.baseUrl}/api/wallet`)).status, 200);
      } finally {
        await teardown();
      }
    });

    test('a slow request in flight during a switch completes with 200', async () => {
      try {
        const { d, u } = await setup([{ id: 'a1', version: 'v1' }, { id: 'a2', version: 'v2' }], ([a]) => state([target(a!, 100)], []));
        const slow = request(`${d.baseUrl}/api/slow?ms=1200`);
        await waitFor('the slow request to reach v1', () => u[0]!.hits === 1);
        await d.applyState(state([target(u[1]!, 100)], []));
        const after = await request(`${d.baseUrl}/api/next`);
        assert.equal(after.headers['x-cc-served-by'], 'v2', 'new requests follow the new state at once');
        const r = await slow;
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-cc-served-by'], 'v1');
        assert.equal(r.json().slow, true);
      } finally {
        await teardown();
      }
    });

    test('a dead target is ejected and GETs that hit it are retried on the same version', async () => {
      try {
        const dead = await deadUrl();
        const { d, u } = await setup([{ id: 'a1', version: 'v1' }], ([a]) =>
          state([target(a!, 1), { id: 'a-dead', version: 'v1', url: dead, weight: 1 }], []),
        );
        for (let i = 0; i < 50; i++) {
          const r = await request(`${d.baseUrl}/api/x`);
          assert.equal(r.status, 200, `request ${i}`);
          assert.equal(r.headers['x-cc-served-by'], 'v1');
        }
        assert.equal(u[0]!.hits, 50);
        const m = await d.readMetrics();
        const errors = m.versions.find((x) => x.service === 'api' && x.version === 'v1')?.upstreamErrors ?? 0;
        // Left in rotation, the dead target would be tried first by about half of 50 requests.
        assert.ok(errors <= 3, `dead target tried ${errors} times`);
      } finally {
        await teardown();
      }
    });

    test('responses carry X-CC-Served-By and X-Request-Id; upstreams get X-Forwarded-*', async () => {
      try {
        const { d, u } = await setup([{ id: 'a1', version: 'v7' }, { id: 'w1', version: 'v7' }], ([a, w]) =>
          state([target(a!, 1)], [target(w!, 1)]),
        );
        const r = await request(`${d.baseUrl}/api/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
        assert.equal(r.headers['x-cc-served-by'], 'v7');
        const id = String(r.headers['x-request-id']);
        assert.ok(id.length >= 8, 'an X-Request-Id is generated');
        assert.equal(u[0]!.lastHeaders['x-request-id'], id, 'the upstream saw the same id');
        assert.equal(u[0]!.lastHeaders['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
        assert.equal(u[0]!.lastHeaders['x-forwarded-proto'], 'http');

        const own = await request(`${d.baseUrl}/index.html`, { headers: { 'x-request-id': 'req-abc-123', 'x-cc-pin-token': PIN_TOKEN } });
        assert.equal(own.headers['x-request-id'], 'req-abc-123');
        assert.equal(own.headers['x-cc-served-by'], 'v7');
        assert.equal(u[1]!.lastHeaders['x-request-id'], 'req-abc-123');
        assert.equal(u[1]!.lastHeaders['x-cc-pin-token'], undefined, 'the pin token is not passed upstream');
        assert.equal(u[1]!.lastHeaders['x-forwarded-for'], '127.0.0.1');
      } finally {
        await teardown();
      }
    });

    test('an old hashed asset is still served after a switch', async () => {
      try {
        const { d, u } = await setup(
          [
            { id: 'w1', version: 'v1', assets: ['/assets/index-aaa111.js'] },
            { id: 'w2', version: 'v2', assets: ['/assets/index-bbb222.js'] },
          ],
          ([a]) => state([], [target(a!, 100)]),
        );
        const before = await request(`${d.baseUrl}/assets/index-aaa111.js`);
        assert.equal(before.status, 200);
        // The switch keeps v1 known at weight 0: it gets no page traffic but its assets stay reachable.
        await d.applyState(state([], [target(u[1]!, 100), target(u[0]!, 0)]));
        const page = await request(`${d.baseUrl}/`);
        assert.equal(page.headers['x-cc-served-by'], 'v2');
        const oldAsset = await request(`${d.baseUrl}/assets/index-aaa111.js`);
        assert.equal(oldAsset.status, 200);
        assert.equal(oldAsset.headers['x-cc-served-by'], 'v1');
        const newAsset = await request(`${d.baseUrl}/assets/index-bbb222.js`);
        assert.equal(newAsset.status, 200);
        assert.equal(newAsset.headers['x-cc-served-by'], 'v2');
        assert.equal((await request(`${d.baseUrl}/assets/missing-000.js`)).status, 404);
      } finally {
        await teardown();
      }
    });

    test('health checks take an unhealthy target out and bring it back', async () => {
      try {
        const { d, u } = await setup([{ id: 'a1', version: 'v1' }, { id: 'a2', version: 'v1' }], ([a, b]) =>
          state([target(a!, 1), target(b!, 1)], []),
        );
        const sick = u[1]!;
        await waitFor('the first health probes', () => sick.probes >= 1);
        sick.setHealthy(false);
        const mark = sick.probes;
        await waitFor('enough failed probes', () => sick.probes >= mark + HEALTH.fall + 1);
        const hitsBefore = sick.hits;
        for (let i = 0; i < 100; i++) assert.equal((await request(`${d.baseUrl}/api/x`)).status, 200);
        assert.equal(sick.hits, hitsBefore, 'an unhealthy target gets no new requests');

        sick.setHealthy(true);
        const mark2 = sick.probes;
        await waitFor('enough passing probes', () => sick.probes >= mark2 + HEALTH.rise + 1);
        for (let i = 0; i < 100; i++) await request(`${d.baseUrl}/api/x`);
        assert.ok(sick.hits > hitsBefore, 'a recovered target gets traffic again');
      } finally {
        await teardown();
      }
    });

    test('a request body is streamed to the upstream', async () => {
      try {
        const { d } = await setup([{ id: 'a1', version: 'v1' }], ([a]) => state([target(a!, 1)], []));
        const body = 'x'.repeat(300_000);
        const r = await request(`${d.baseUrl}/api/upload`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
        assert.equal(r.status, 200);
        assert.equal(r.json().bodyBytes, body.length);
      } finally {
        await teardown();
      }
    });
  });
}
