import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorEvent } from '@sentry/node';
import { scrubText } from '../src/ops/logger.js';
import { scrubEvent } from '../src/ops/sentry.js';
import { startSentryIngest, type SentryIngest } from './support/sentry-ingest.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

describe('Sentry error reporting', () => {
  let ingest: SentryIngest;
  let t: TestApp;

  before(async () => {
    ingest = await startSentryIngest();
    t = await createTestApp({
      env: { SENTRY_DSN: ingest.dsn, APP_ENV: 'staging', APP_VERSION: '3.1.4-rc.1', APP_COMMIT: 'c0ffee1' },
    });
  });
  after(async () => {
    await t.close();
    await ingest.close();
  });

  const events = () => ingest.events();

  test('a 5xx reaches Sentry with environment, release and request id, without credentials or the body', async () => {
    const user = await t.createUser();
    // 4xx errors are the client's problem and are not reported.
    const bad = await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(user.accessToken), payload: { actionType: 'NOPE' } });
    assert.equal(bad.statusCode, 400);

    // Break something real: the table the route writes to disappears.
    await t.server.ctx.db.query('DROP TABLE outbox_events');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/actions?token=query-secret-value',
      headers: { ...bearer(user.accessToken), cookie: 'cc_session=cookie-secret-value' },
      payload: { actionType: 'page.view', metadata: { password: 'body-secret-value' } },
    });
    assert.equal(res.statusCode, 500);
    const { requestId, code, message } = res.json().error as { requestId: string; code: string; message: string };
    assert.equal(code, 'internal');
    assert.doesNotMatch(message, /outbox_events/, 'details stay out of the response');

    const until = Date.now() + 10_000;
    while (events().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    // Give a stray second report (e.g. of the 400) the chance to arrive before counting.
    await new Promise((r) => setTimeout(r, 300));
    const got = events();
    assert.equal(got.length, 1, `one event expected, got ${got.length}`);
    const { envelope, event } = got[0]!;

    const url = new URL(envelope.url, 'http://x');
    assert.equal(url.pathname, '/api/1/envelope/');
    assert.equal(url.searchParams.get('sentry_key'), 'publickey');
    assert.equal(event['environment'], 'staging');
    assert.equal(event['release'], '3.1.4-rc.1');
    const tags = event['tags'] as Record<string, string>;
    assert.equal(tags['requestId'], requestId);
    assert.equal(tags['route'], '/api/actions');
    assert.equal(tags['method'], 'POST');
    assert.equal(tags['commit'], 'c0ffee1');
    const exception = event['exception'] as { values: Array<{ value: string }> };
    assert.match(exception.values.at(-1)!.value, /outbox_events/);

    for (const secret of ['body-secret-value', 'cookie-secret-value', 'query-secret-value', user.accessToken]) {
      assert.ok(!envelope.raw.includes(secret), `the envelope must not contain ${secret.slice(0, 20)}`);
    }
  });

  test('scrubEvent drops bodies, cookies, query strings and credential headers', () => {
    const event = {
      type: undefined,
      request: {
        url: 'https://cc.example/api/auth/login',
        method: 'POST',
        data: { password: 'p' },
        cookies: { cc: 'x' },
        query_string: 'token=abc',
        headers: { Authorization: 'Bearer abc', cookie: 'a=b', 'x-cc-pin-token': 't', 'user-agent': 'ua' },
      },
      user: { id: 'u1', ip_address: '10.0.0.1', email: 'a@b.c' },
    } as unknown as ErrorEvent;
    const out = scrubEvent(event);
    assert.deepEqual(out.request, { url: 'https://cc.example/api/auth/login', method: 'POST', headers: { 'user-agent': 'ua' } });
    assert.deepEqual(out.user, { id: 'u1' });
  });

  test('scrubEvent removes passwords quoted in exception messages', () => {
    const event = {
      type: undefined,
      message: 'failed: redis://:r3dis-pass@cache:6379/0',
      exception: { values: [{ type: 'Error', value: 'connect ECONNREFUSED postgres://cc:pg-pass@db:5432/cc?sslmode=require' }] },
    } as unknown as ErrorEvent;
    const out = scrubEvent(event);
    assert.equal(out.exception!.values![0]!.value, 'connect ECONNREFUSED postgres://cc:[redacted]@db:5432/cc?sslmode=require');
    assert.equal(out.message, 'failed: redis://:[redacted]@cache:6379/0');
  });

  test('scrubText keeps what carries no credential', () => {
    for (const text of ['plain message', 'see https://cc.example/docs#a:b', 'http://user@host/ has no password', 'at file:///app/server.js:10:5', 'time 12:30@noon']) {
      assert.equal(scrubText(text), text);
    }
    assert.equal(scrubText('GET /api/x?token=abc&y=1'), 'GET /api/x?token=[redacted]&y=1');
  });
});
