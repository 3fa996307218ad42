import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { CLIENT_ACTION_TYPES, SERVER_ACTION_TYPES } from '../src/events/action-types.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

describe('POST /api/actions', () => {
  let t: TestApp;
  let user: { id: string; accessToken: string };
  before(async () => {
    t = await createTestApp();
    user = await t.createUser();
  });
  after(() => t.close());

  const post = (payload: unknown, headers: Record<string, string> = bearer(user.accessToken)) =>
    t.app.inject({ method: 'POST', url: '/api/actions', headers, payload: payload as Record<string, unknown> });

  test('records the action in the outbox and answers 202 with its event id', async () => {
    const res = await post({ actionType: 'page.view', metadata: { page: 'lobby', nested: { a: [1, 2] } } });
    assert.equal(res.statusCode, 202, res.body);
    const { eventId } = res.json() as { eventId: string };
    assert.match(eventId, /^[0-9a-f-]{36}$/);
    const r = await t.server.ctx.db.query('SELECT user_id, action_type, payload, published_at FROM outbox_events WHERE event_id = $1', [eventId]);
    assert.equal(r.rows.length, 1);
    const row = r.rows[0];
    assert.equal(row.user_id, user.id);
    assert.equal(row.action_type, 'page.view');
    assert.equal(row.published_at, null, 'without KAFKA_BROKER events stay in the outbox');
    assert.deepEqual(row.payload, {
      event_id: eventId,
      user_id: user.id,
      action_type: 'page.view',
      action_timestamp: row.payload.action_timestamp,
      metadata: { page: 'lobby', nested: { a: [1, 2] } },
    });
    assert.ok(Math.abs(Date.parse(row.payload.action_timestamp) - Date.now()) < 60_000);
  });

  test('metadata is optional and defaults to {}', async () => {
    const res = await post({ actionType: 'button.click' });
    assert.equal(res.statusCode, 202);
    const r = await t.server.ctx.db.query('SELECT payload FROM outbox_events WHERE event_id = $1', [res.json().eventId]);
    assert.deepEqual(r.rows[0].payload.metadata, {});
  });

  test('needs a valid access token', async () => {
    assert.equal((await post({ actionType: 'x' }, {})).statusCode, 401);
    const bad = await post({ actionType: 'x' }, { authorization: 'Bearer not.a.jwt' });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().error.code, 'unauthorized');
  });

  const invalid: Array<[string, unknown, string]> = [
    ['missing actionType', {}, 'actionType'],
    ['numeric actionType', { actionType: 42 }, 'actionType'],
    ['empty actionType', { actionType: '' }, 'actionType'],
    ['uppercase actionType', { actionType: 'PageView' }, 'actionType'],
    ['actionType with spaces', { actionType: 'page view' }, 'actionType'],
    ['65-character actionType', { actionType: 'a'.repeat(65) }, 'actionType'],
    ['a well-formed but unknown actionType', { actionType: 'page.viewed' }, 'actionType'],
    ['metadata as an array', { actionType: 'page.view', metadata: [1, 2] }, 'metadata'],
    ['metadata as a string', { actionType: 'page.view', metadata: 'x' }, 'metadata'],
    ['metadata over 4 KB', { actionType: 'page.view', metadata: { blob: 'x'.repeat(4100) } }, 'metadata'],
    ['metadata with a NUL character', { actionType: 'page.view', metadata: { ['k\u0000']: 'v\u0000' } }, 'metadata'],
  ];
  for (const [name, body, field] of invalid) {
    test(`400 naming the field for ${name}`, async () => {
      const res = await post(body);
      assert.equal(res.statusCode, 400, res.body);
      const err = res.json().error as { code: string; message: string; requestId: string };
      assert.equal(err.code, 'validation_failed');
      assert.ok(err.message.startsWith(`${field}:`), err.message);
      assert.ok(err.requestId);
    });
  }

  test('every client action type is accepted', async () => {
    for (const actionType of CLIENT_ACTION_TYPES) {
      const res = await post({ actionType, metadata: { page: 'lobby' } });
      assert.equal(res.statusCode, 202, `${actionType}: ${res.body}`);
    }
  });

  test("the server's own action types cannot be forged: 400 naming the field and the allowed values", async () => {
    assert.ok(SERVER_ACTION_TYPES.every((s) => !(CLIENT_ACTION_TYPES as readonly string[]).includes(s)), 'the two sets are disjoint');
    const before = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM outbox_events');
    for (const actionType of SERVER_ACTION_TYPES) {
      const res = await post({ actionType, metadata: { amount: 1_000_000 } });
      assert.equal(res.statusCode, 400, `${actionType}: ${res.body}`);
      const err = res.json().error as { code: string; message: string; field: string };
      assert.equal(err.code, 'validation_failed');
      assert.equal(err.field, 'actionType');
      assert.equal(err.message, `actionType: must be one of page.view, button.click, link.click, form.submit (the server records logins, plays and rewards itself)`);
    }
    const afterCount = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM outbox_events');
    assert.equal(afterCount.rows[0].n, before.rows[0].n, 'nothing was recorded');
  });

  test('a huge body is refused with 413, not a 5xx', async () => {
    const res = await post({ actionType: 'page.view', metadata: { blob: 'x'.repeat(100_000) } });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'payload_too_large');
  });

  test('any JSON body gets 202 or a 4xx, never a 5xx (property)', async () => {
    const before = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM outbox_events');
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ actionType: fc.oneof(fc.string(), fc.constantFrom(...CLIENT_ACTION_TYPES, ...SERVER_ACTION_TYPES), fc.stringMatching(/^[a-z0-9_.]{1,64}$/), fc.jsonValue()), metadata: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())) }, { requiredKeys: [] }),
        ),
        async (body) => {
          const res = await t.app.inject({ method: 'POST', url: '/api/actions', headers: { ...bearer(user.accessToken), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
          assert.ok(res.statusCode === 202 || (res.statusCode >= 400 && res.statusCode < 500), `${res.statusCode} for ${JSON.stringify(body).slice(0, 200)}`);
          if (res.statusCode === 202) accepted += 1;
        },
      ),
      { numRuns: 150 },
    );
    const afterCount = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM outbox_events');
    assert.ok(accepted > 0, 'the generator also produced valid bodies');
    assert.equal(afterCount.rows[0].n - before.rows[0].n, accepted, 'exactly the accepted actions were recorded');
  });

  test('without KAFKA_BROKER the relay is disabled and readiness reports kafka disabled', async () => {
    assert.deepEqual(t.server.relay.status(), { enabled: false, connected: false, lastError: null });
    const ready = await t.app.inject('/health/ready');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.kafka.status, 'disabled');
  });
});
