import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { TEST_JWT_SECRET, bearer, createTestApp, type TestApp } from './support/test-app.js';

// Logs at the chattiest level must still never contain a password, an access token, a refresh
// token or the JWT secret, whether they arrive in bodies, headers or objects a developer logs.

describe('log redaction', () => {
  let t: TestApp;
  const secrets: string[] = [TEST_JWT_SECRET];
  const requestIds: string[] = [];

  before(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'trace' } });
    const inject = async (opts: InjectOptions) => {
      const res = await t.app.inject(opts);
      requestIds.push(String(res.headers['x-request-id']));
      return res;
    };
    const password = 'sup3r-secret-pa55word';
    secrets.push(password);
    const inviteCode = await t.createInvite();
    const signup = await inject({ method: 'POST', url: '/api/auth/signup', headers: { 'x-refresh-token-delivery': 'body' }, payload: { inviteCode, nickname: 'logged_user', password } });
    assert.equal(signup.statusCode, 201);
    secrets.push(signup.json().accessToken, signup.json().refreshToken);

    const wrong = 'wrong-pa55word-guess';
    secrets.push(wrong);
    assert.equal((await inject({ method: 'POST', url: '/api/auth/login', payload: { nickname: 'logged_user', password: wrong } })).statusCode, 401);
    const login = await inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-refresh-token-delivery': 'body' }, payload: { nickname: 'logged_user', password } });
    assert.equal(login.statusCode, 200);
    secrets.push(login.json().accessToken, login.json().refreshToken);

    const refreshed = await inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: login.json().refreshToken } });
    assert.equal(refreshed.statusCode, 200);
    secrets.push(refreshed.json().accessToken, refreshed.json().refreshToken);
    // Reuse is logged as a warning; the token itself must not be in it.
    assert.equal((await inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: login.json().refreshToken } })).statusCode, 401);
    // A rejected (validation) refresh token and a bad bearer token.
    const junk = 'junk-refresh-token-value-0123456789';
    secrets.push(junk);
    await inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: junk } });
    const badBearer = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged-signature';
    secrets.push(badBearer);
    await inject({ method: 'POST', url: '/api/admin/invites', payload: { count: 1 }, headers: bearer(badBearer) });
    await inject({ method: 'POST', url: '/api/admin/invites', payload: { count: 1 }, headers: bearer(refreshed.json().accessToken) });

    // What a developer might log by hand while debugging.
    const access = refreshed.json().accessToken as string;
    const refresh = refreshed.json().refreshToken as string;
    t.server.ctx.logger.info({ password, refreshToken: refresh, accessToken: access }, 'flat credentials');
    t.server.ctx.logger.info({ body: { nickname: 'logged_user', password, refreshToken: refresh } }, 'a request body');
    t.server.ctx.logger.info({ req: { body: { password }, headers: { authorization: `Bearer ${access}`, cookie: `rt=${refresh}` } } }, 'a request');
    t.server.ctx.logger.info({ headers: { authorization: `Bearer ${access}` } }, 'headers');
    t.server.ctx.logger.info({ session: { token: access } }, 'a session');
    t.server.ctx.logger.info({ config: t.server.ctx.config }, 'the config');
    t.server.ctx.logger.info({ authorization: `Bearer ${access}`, access_token: access, refresh_token: refresh }, 'oauth-style fields');
    t.server.ctx.logger.info({ ctx: { request: { body: { password, refreshToken: refresh, accessToken: access } } } }, 'three levels deep');
    t.server.ctx.logger.info({ outgoing: { headers: { authorization: `Bearer ${access}` } }, auth: { token: access } }, 'outgoing call');
    t.server.ctx.logger.child({ password, accessToken: access }).debug('a child logger with credentials bound');
    t.server.ctx.logger.trace({ result: { user: { id: 'x' }, accessToken: access, refreshToken: refresh } }, 'a session response');
  });
  after(() => t.close());

  test('no log line contains a password, access token, refresh token or the JWT secret', () => {
    assert.ok(t.logs.length > 10, `only ${t.logs.length} log lines were written`);
    for (const line of t.logs) {
      for (const s of secrets) assert.ok(!line.includes(s), `a credential leaked into: ${line}`);
      // Nor a fragment long enough to matter (e.g. a token's signature part).
      for (const s of secrets.filter((x) => x.split('.').length === 3)) {
        for (const part of s.split('.')) if (part.length > 16) assert.ok(!line.includes(part), `a token fragment leaked into: ${line}`);
      }
    }
  });

  test('the hand-logged objects were written, with their credentials replaced', () => {
    for (const msg of ['flat credentials', 'a request body', 'a request', 'headers', 'a session', 'the config', 'oauth-style fields', 'three levels deep', 'outgoing call', 'a child logger with credentials bound', 'a session response']) {
      const line = t.logs.find((l) => JSON.parse(l).msg === msg);
      assert.ok(line, `no log line "${msg}"`);
      assert.ok(line.includes('[redacted]'), `nothing redacted in "${msg}": ${line}`);
    }
  });

  test('request log lines carry the request id that the response returned', () => {
    const requestLines = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.ok(requestLines.length >= requestIds.length);
    for (const l of requestLines) assert.equal(typeof l.reqId, 'string');
    const logged = new Set(requestLines.map((l) => l.reqId));
    for (const id of requestIds) assert.ok(logged.has(id), `no request log line for ${id}`);
  });
});
