import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

// Whatever JSON a client throws at the play endpoints, the answer is a 2xx or a 4xx, never a
// 5xx, and every 4xx names the field at fault. Bodies mix arbitrary JSON with near-valid
// shapes so the generator also reaches the deeper validation branches and real plays.

let t: TestApp;
let token: string;
before(async () => {
  t = await createTestApp();
  token = (await t.createUser({ balance: 1_000_000 })).accessToken;
});
after(async () => {
  await t?.close();
});

const ENDPOINTS = ['/api/games/slots/spin', '/api/games/rps/play', '/api/games/gacha/pull'] as const;

const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 10, 1000, 1001, 1e21, -0, 2 ** 53, 0.5),
);
const field = fc.oneof(fc.jsonValue(), oddNumber, fc.string({ maxLength: 3000 }), fc.constantFrom('rock', 'paper', 'scissors', 'lizard'));
const nearValid = fc.record(
  {
    bet: fc.oneof(fc.integer({ min: -5, max: 1100 }), field),
    choice: fc.constantFrom('rock', 'paper', 'scissors', 'lizard', ''),
    count: fc.constantFrom(1, 10, 0, 2, '1'),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { arbitrary: fc.jsonValue(), weight: 2 },
  { arbitrary: fc.record({ bet: field, choice: field }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.record({ count: field }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue()), weight: 1 },
  { arbitrary: nearValid, weight: 4 },
);
const key = fc.oneof(
  { arbitrary: fc.constant<string | null>(null), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.uuid(), weight: 4 },
);

describe('play endpoints under arbitrary JSON', () => {
  test('answer 2xx or a 4xx naming the field, never 5xx', async () => {
    let ok = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), body, key, async (url, payload, idem) => {
        const headers: Record<string, string> = { ...bearer(token), 'content-type': 'application/json' };
        // Header values cannot carry every string; fall back to a valid key for those.
        const useKey = idem === null ? null : /^[\t\x20-\x7e]*$/.test(idem) ? idem : randomUUID();
        if (useKey !== null) headers['idempotency-key'] = useKey;
        const res = await t.app.inject({ method: 'POST', url, headers, payload: JSON.stringify(payload) });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${url} ${JSON.stringify(payload).slice(0, 200)}: ${res.body.slice(0, 200)}`);
        if (res.statusCode >= 400) {
          const err = res.json().error as { code: string; message: string; field?: string; requestId: string };
          assert.ok(err.code && err.requestId, res.body);
          assert.ok(typeof err.field === 'string' && err.field.length > 0, `no field named: ${res.body}`);
          assert.ok(err.message.startsWith(`${err.field}:`), `message does not lead with the field: ${res.body}`);
        } else {
          ok++;
        }
      }),
      { numRuns: 400 },
    );
    // The generator must also reach real plays, or the property says little about them.
    assert.ok(ok > 0, 'no generated request was a valid play');
  });

  test('non-JSON and oversized bodies are 4xx too', async () => {
    const headers = { ...bearer(token), 'idempotency-key': randomUUID() };
    const cases = [
      { headers: { ...headers, 'content-type': 'application/json' }, payload: '{"bet":' },
      { headers: { ...headers, 'content-type': 'text/plain' }, payload: 'bet=5' },
      { headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ bet: 'x'.repeat(100_000) }) },
      { headers: { ...headers, 'content-type': 'application/json' }, payload: '' },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/games/slots/spin', ...c });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
      assert.ok(res.json().error.field, res.body);
    }
  });
});
