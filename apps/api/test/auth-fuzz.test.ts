import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestApp, type TestApp } from './support/test-app.js';

// Whatever JSON arrives, the auth routes answer with a success or a coded 4xx, never a 5xx.

const field = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 10 }).map((s) => `${s}\u0000${s}`),
  fc.stringMatching(/^[A-Za-z0-9_]{3,20}$/),
  fc.string({ minLength: 250, maxLength: 600 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const body = fc.oneof(
  fc.record({ inviteCode: field, nickname: field, password: field, refreshToken: field }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 3 }),
);

describe('auth routes under arbitrary JSON', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_MAX_FAILURES_PER_NICKNAME: '1000' } });
  });
  after(() => t.close());

  for (const route of ['signup', 'login', 'refresh', 'logout']) {
    test(`POST /api/auth/${route} never answers 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const res = await t.app.inject({
            method: 'POST',
            url: `/api/auth/${route}`,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          assert.ok(res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(payload).slice(0, 200)}: ${res.body}`);
          if (res.statusCode >= 400) {
            const err = res.json().error;
            assert.equal(typeof err.code, 'string');
            assert.equal(typeof err.message, 'string');
            assert.equal(typeof err.requestId, 'string');
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
