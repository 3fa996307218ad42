import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { INVITE_CODE_RE } from '../src/admin/invite-codes.js';
import { loadConfig } from '../src/config/index.js';
import { slotOdds } from '../src/games/slots.js';
import { ConfigError } from '../src/errors.js';
import { createLogger } from '../src/ops/logger.js';
import { bearer, createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';

// Defects found by trying the API from outside (issue 17). Each test would have caught its defect.

function assertErrorShape(body: string, what: string): { code: string; message: string; requestId: string } {
  const err = (JSON.parse(body) as { error: { code: string; message: string; requestId: string } }).error;
  assert.equal(typeof err.code, 'string', what);
  assert.equal(typeof err.message, 'string', what);
  assert.ok(err.requestId.length > 0, what);
  return err;
}

/** Sends raw bytes over TCP and resolves with the whole answer (the server closes after errors). */
function raw(url: string, request: string): Promise<{ status: number; headers: string; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(request));
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (data += d));
    s.on('error', reject);
    s.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
  });
}

describe('logging never throws', () => {
  test('a Buffer anywhere in a log line is logged as a description, at every level', () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => lines.push(c.toString()));
    const log = createLogger({ level: 'trace', destination: sink });
    assert.doesNotThrow(() => log.info({ buf: Buffer.from('x') }, 'one'));
    assert.doesNotThrow(() => log.trace({ err: { raw: Buffer.alloc(3) }, nested: [new Uint8Array(2)], password: 'p' }, 'two'));
    const all = lines.join('');
    assert.match(all, /"buf":"\[Buffer 1 bytes\]"/);
    assert.match(all, /"raw":"\[Buffer 3 bytes\]"/);
    assert.match(all, /"password":"\[redacted\]"/);
  });
});

describe('the API from outside', () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'trace', LOGIN_MAX_FAILURES_PER_NICKNAME: '5', LOGIN_MAX_FAILURES_PER_IP: '1000', SIGNUP_MAX_FAILURES_PER_IP: '3' } });
    url = await t.server.listen();
  });
  after(() => t.close());

  test('a control character in a header: 400 in the error shape, and the process keeps serving', async () => {
    const res = await raw(url, 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n');
    assert.equal(res.status, 400);
    assertErrorShape(res.body, 'control character');
    assert.match(res.headers, /x-content-type-options: nosniff/i);
    assert.equal((await fetch(`${url}/health/live`)).status, 200, 'still serving');
  });

  test('64 KB of headers: 431 in the error shape', async () => {
    const res = await raw(url, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(res.status, 431);
    assertErrorShape(res.body, 'header overflow');
  });

  test('a URL that is not valid percent-encoding: 400 in the error shape, naming the url', async () => {
    const res = await fetch(`${url}/api/leaderboard/%E0%A4%A`);
    assert.equal(res.status, 400);
    const err = assertErrorShape(await res.text(), 'bad url');
    assert.equal(err.code, 'bad_request');
    assert.match(err.message, /^url: /);
  });

  test('/metrics is not served on the public port, only on the metrics listener', async () => {
    const pub = await fetch(`${url}/metrics`);
    assert.equal(pub.status, 404);
    assertErrorShape(await pub.text(), 'public /metrics');
    const internal = await fetch(`${t.server.metricsUrl}/metrics`);
    assert.equal(internal.status, 200);
    assert.match(await internal.text(), /cc_api_http_requests_total/);
    const other = await fetch(`${t.server.metricsUrl}/api/me`);
    assert.equal(other.status, 404);
    assertErrorShape(await other.text(), 'metrics listener 404');
  });

  test('a lone UTF-16 surrogate in a value or a key is a 400 naming the field, not a database error', async () => {
    const user = await t.createUser();
    for (const [payload, field] of [
      ['{"actionType":"page.view","metadata":{"a":"\\ud800"}}', 'metadata.a'],
      ['{"actionType":"page.view","metadata":{"a":["ok","x\\udc00"]}}', 'metadata.a.1'],
      ['{"actionType":"page.view","metadata":{"\\ud800":1}}', 'metadata.(key)'],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/api/actions', headers: { ...bearer(user.accessToken), 'content-type': 'application/json' }, payload });
      assert.equal(res.statusCode, 400, res.body);
      const err = res.json().error;
      assert.equal(err.code, 'validation_failed');
      assert.equal(err.field, field);
    }
    const paired = await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(user.accessToken), payload: { actionType: 'page.view', metadata: { a: '😀' } } });
    assert.equal(paired.statusCode, 202, 'a proper surrogate pair is fine');
  });

  test('parallel password guesses: at most LOGIN_MAX_FAILURES_PER_NICKNAME verifications, the rest 429', async () => {
    await t.signup({ nickname: 'parallel_victim' });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname: 'parallel_victim', password: 'wrong-password' }, remoteAddress: '10.20.0.1' })),
    );
    const codes = results.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 401).length, 5, codes.join());
    assert.equal(codes.filter((c) => c === 429).length, 15, codes.join());
  });

  test('a token signed with the real key but without exp, or without sub, is refused', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const user = await t.createUser();
    const base = () => new SignJWT({ nickname: user.nickname, role: 'player' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('cc-api').setAudience('cc-web').setIssuedAt();
    const noExp = await base().setSubject(user.id).sign(key);
    const noSub = await base().setExpirationTime('5m').sign(key);
    for (const token of [noExp, noSub]) {
      const res = await t.app.inject({ url: '/api/me', headers: bearer(token) });
      assert.equal(res.statusCode, 401, res.body);
    }
  });

  test('answers carrying tokens are no-store, and API JSON is nosniff', async () => {
    const s = await t.signup({ nickname: 'header_probe' });
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname: 'header_probe', password: s.password }, remoteAddress: '10.20.0.9' });
    assert.equal(login.statusCode, 200);
    assert.equal(login.headers['cache-control'], 'no-store');
    assert.equal(login.headers['x-content-type-options'], 'nosniff');
    const me = await t.app.inject({ url: '/api/me', headers: bearer(s.accessToken) });
    assert.equal(me.headers['x-content-type-options'], 'nosniff');
  });

  test('a bad invite is refused before hashing, and failed sign-ups are limited per IP', async () => {
    const bad = () => t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { inviteCode: 'NOPE-NOPE', nickname: 'signup_flood', password: 'x'.repeat(256) }, remoteAddress: '10.30.0.1' });
    const codes = (await Promise.all(Array.from({ length: 8 }, bad))).map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 403).length, 3, codes.join());
    assert.equal(codes.filter((c) => c === 429).length, 5, codes.join());
    // Another address is unaffected, and a good invite still signs up.
    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { inviteCode: await t.createInvite(), nickname: 'signup_ok', password: 'correct-horse-battery' }, remoteAddress: '10.30.0.2' });
    assert.equal(ok.statusCode, 201, ok.body);
  });
});

describe('client addresses behind proxies', () => {
  test('TRUST_PROXY=true is refused; hop counts, IPs and CIDRs are checked', () => {
    const issues = (v: string) => {
      try {
        loadConfig({ TRUST_PROXY: v });
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.issues;
      }
    };
    assert.match(issues('true').join(), /^TRUST_PROXY: trusting every proxy/);
    assert.match(issues('10.0.0.0/8, nonsense').join(), /^TRUST_PROXY: entry 2: "nonsense" is not an IP address/);
    assert.match(issues('10.0.0.0/33').join(), /prefix length must be 0-32/);
    assert.deepEqual(issues('loopback, 10.1.2.3, fd00::/8'), []);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY, 1);
  });

  for (const [trust, peer] of [
    ['loopback', '127.0.0.1'],
    ['1', '10.99.0.1'],
    ['10.99.0.0/16', '10.99.0.1'],
  ] as const) {
    test(`TRUST_PROXY=${trust}: a client rotating X-Forwarded-For is still counted as itself`, async () => {
      const t = await createTestApp({ env: { TRUST_PROXY: trust, LOGIN_MAX_FAILURES_PER_NICKNAME: '1000', LOGIN_MAX_FAILURES_PER_IP: '3' } });
      try {
        const attempt = (i: number) =>
          t.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { nickname: `nobody_${i}`, password: 'wrong-password' },
            remoteAddress: peer,
            // What the proxy sends: whatever the client claimed, then the address it saw.
            headers: { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.7` },
          });
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) codes.push((await attempt(i)).statusCode);
        assert.deepEqual(codes, [401, 401, 401, 429, 429]);
      } finally {
        await t.close();
      }
    });
  }
});

describe('smaller things', () => {
  test('the paytable speaks English: three cherries, not three cherrys', () => {
    const lines = slotOdds().paytable.map((l) => l.description);
    assert.ok(lines.includes('three cherries'), lines.join());
    assert.ok(!lines.some((d) => /ys$/.test(d)), lines.join());
  });

  test('the rewritten regexes accept and refuse what the old ones did', () => {
    assert.match('CC-7KQM-X2HD-9TRE', INVITE_CODE_RE);
    for (const bad of ['CC-7KQM-X2HD', 'CC-7KQM-X2HD-9TRE-AAAA', 'CC-7KQ0-X2HD-9TRE', 'cc-7KQM-X2HD-9TRE']) assert.doesNotMatch(bad, INVITE_CODE_RE);
    assert.equal(loadConfig({ KAFKA_BROKER: 'kafka-1.internal:9092,kafka_2:9093' }).KAFKA_BROKER, 'kafka-1.internal:9092,kafka_2:9093');
    for (const bad of ['kafka', 'kafka:', ',kafka:1', 'kafka:1,', 'a b:1']) assert.throws(() => loadConfig({ KAFKA_BROKER: bad }), /KAFKA_BROKER: must be host:port/);
  });
});
