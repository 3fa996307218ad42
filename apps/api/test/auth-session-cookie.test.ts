import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

// Sessions done properly (issue 17): the refresh token lives in an httpOnly cookie scoped to
// the auth routes, a cookie-authorised request needs CSRF proof, logout ends access now, and a
// password change ends every other session. In both stores of the revocation list.

const PASSWORD = 'correct-horse-battery';
const CSRF = { 'x-cc-csrf': '1' };

function cookieOf(res: { headers: Record<string, unknown> }): { value: string; attrs: string } {
  const raw = ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []).find((c) => c.startsWith('cc_refresh='));
  assert.ok(raw, 'a cc_refresh cookie is set');
  return { value: raw.split(';')[0]!.slice('cc_refresh='.length), attrs: raw };
}

for (const mode of ['redis', 'no redis'] as const) {
  describe(`sessions in the browser (${mode})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ redis: mode === 'redis' });
    });
    after(() => t.close());

    const login = (nickname: string, password = PASSWORD, host?: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname, password }, ...(host ? { headers: { host } } : {}) });

    test('login sets the refresh token as an httpOnly, SameSite=Strict cookie on /api/auth, never in the JSON', async () => {
      const u = await t.signup();
      const res = await login(u.user.nickname);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(Object.keys(res.json()).sort(), ['accessToken', 'user']);
      const c = cookieOf(res);
      assert.match(c.attrs, /; HttpOnly/);
      assert.match(c.attrs, /; SameSite=Strict/);
      assert.match(c.attrs, /; Path=\/api\/auth/);
      assert.doesNotMatch(c.attrs, /; Secure/, 'plain http on loopback keeps the cookie usable');
      assert.match(cookieOf(await login(u.user.nickname, PASSWORD, 'app.example.com')).attrs, /; Secure/, 'Secure outside loopback');
    });

    test('refresh with the cookie needs CSRF proof; it rotates the cookie and never hands the token to script', async () => {
      const u = await t.signup();
      const c = cookieOf(await login(u.user.nickname));
      const noProof = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { cc_refresh: c.value } });
      assert.equal(noProof.statusCode, 403);
      assert.equal(noProof.json().error.field, 'csrf');
      const crossSite = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { cc_refresh: c.value }, headers: { ...CSRF, 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSite.statusCode, 403);
      const asked = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { cc_refresh: c.value }, headers: { ...CSRF, 'sec-fetch-site': 'same-origin', 'x-refresh-token-delivery': 'body' } });
      assert.equal(asked.statusCode, 200, asked.body);
      assert.equal(asked.json().refreshToken, undefined, 'a cookie is never swapped for a readable token');
      const next = cookieOf(asked);
      assert.notEqual(next.value, c.value);
      const me = await t.app.inject({ url: '/api/me', headers: bearer(asked.json().accessToken) });
      assert.equal(me.statusCode, 200);
    });

    test('logout ends access now: the access token issued before it is refused at once, and the cookie is cleared', async () => {
      const u = await t.signup();
      const res = await login(u.user.nickname);
      const access = res.json().accessToken as string;
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(access) })).statusCode, 200);
      const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { cc_refresh: cookieOf(res).value }, headers: CSRF });
      assert.equal(out.statusCode, 204);
      assert.match(cookieOf(out).attrs, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
      const after = await t.app.inject({ url: '/api/me', headers: bearer(access) });
      assert.equal(after.statusCode, 401, 'no waiting for the token to expire');
      // The session signed up with (another family) is untouched.
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(u.accessToken) })).statusCode, 200);
    });

    test('a password change ends every other session at once and keeps this one', async () => {
      const u = await t.signup();
      const other = await login(u.user.nickname);
      const otherAccess = other.json().accessToken as string;
      const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(u.accessToken), payload: { currentPassword: 'not-it-at-all', newPassword: 'a-brand-new-password' } });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().error.field, 'currentPassword');
      const ok = await t.app.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(u.accessToken), payload: { currentPassword: PASSWORD, newPassword: 'a-brand-new-password' } });
      assert.equal(ok.statusCode, 204, ok.body);
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(otherAccess) })).statusCode, 401, 'the other session ended now');
      const otherRefresh = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { cc_refresh: cookieOf(other).value }, headers: CSRF });
      assert.equal(otherRefresh.statusCode, 401);
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(u.accessToken) })).statusCode, 200, 'this session stays');
      assert.equal((await login(u.user.nickname)).statusCode, 401, 'the old password is gone');
      assert.equal((await login(u.user.nickname, 'a-brand-new-password')).statusCode, 200);
    });
  });
}

describe('revocations when Redis goes away and comes back', () => {
  test('a logout while Redis is down is still enforced, before and after Redis returns', async () => {
    const t = await createTestApp();
    try {
      const u = await t.signup();
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname: u.user.nickname, password: PASSWORD } });
      const access = res.json().accessToken as string;
      const redis = t.server.ctx.redis!;
      redis.disconnect();
      const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { cc_refresh: cookieOf(res).value }, headers: CSRF });
      assert.equal(out.statusCode, 204);
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(access) })).statusCode, 401, 'PostgreSQL answers while Redis is down');
      const ready = new Promise<void>((r) => redis.once('ready', () => r()));
      await redis.connect();
      await ready;
      await t.server.ctx.revocations.resync();
      assert.equal((await t.app.inject({ url: '/api/me', headers: bearer(access) })).statusCode, 401, 'Redis was resynced from PostgreSQL');
      const key = `${t.server.ctx.config.REDIS_KEY_PREFIX}revoked:s:`;
      const keys = await redis.keys(`${key}*`);
      assert.ok(keys.length >= 1, 'the revocation was copied into Redis');
    } finally {
      await t.close();
    }
  });
});
