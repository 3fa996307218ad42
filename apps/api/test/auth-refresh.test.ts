import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.js';

describe('POST /api/auth/refresh and /api/auth/logout', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const refresh = (refreshToken: unknown) => t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
  const logout = (refreshToken: unknown) => t.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken } });

  test('rotates: a new pair in the same family, the old token marked rotated', async () => {
    const u = await t.signup();
    const res = await refresh(u.refreshToken);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.user, u.user);
    assert.notEqual(body.refreshToken, u.refreshToken);
    assert.equal((await t.server.ctx.tokens.verify(body.accessToken)).sub, u.user.id);
    const rows = (
      await t.server.ctx.db.query('SELECT family_id, rotated_at IS NOT NULL AS rotated, revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at', [u.user.id])
    ).rows;
    assert.equal(rows.length, 2);
    assert.equal(rows[0].family_id, rows[1].family_id);
    assert.deepEqual(rows.map((r) => [r.rotated, r.revoked]), [[true, false], [false, false]]);
    // The new token rotates in turn.
    assert.equal((await refresh(body.refreshToken)).statusCode, 200);
  });

  test('the access token carries the current role, so a promotion shows on the next refresh', async () => {
    const u = await t.signup();
    await t.server.ctx.db.query("UPDATE users SET role = 'admin' WHERE id = $1", [u.user.id]);
    const res = await refresh(u.refreshToken);
    assert.equal((await t.server.ctx.tokens.verify(res.json().accessToken)).role, 'admin');
  });

  test('reusing a rotated token gets 401 token_reused and ends the whole family, newest token included', async () => {
    const u = await t.signup();
    const second = (await refresh(u.refreshToken)).json().refreshToken;
    const third = (await refresh(second)).json().refreshToken;
    const reuse = await refresh(u.refreshToken);
    assert.equal(reuse.statusCode, 401);
    assert.equal(reuse.json().error.code, 'token_reused');
    const newest = await refresh(third);
    assert.equal(newest.statusCode, 401);
    assert.equal(newest.json().error.code, 'token_reused');
    const live = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [u.user.id]);
    assert.equal(live.rows[0].n, 0);
  });

  test('reuse in one family leaves the user’s other sessions alone', async () => {
    const u = await t.signup({ password: 'other-session-pw' });
    const other = (await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-refresh-token-delivery': 'body' }, payload: { nickname: u.user.nickname, password: 'other-session-pw' } })).json();
    await refresh(u.refreshToken);
    assert.equal((await refresh(u.refreshToken)).statusCode, 401);
    assert.equal((await refresh(other.refreshToken)).statusCode, 200);
  });

  test('concurrent refreshes of one token: exactly one succeeds, the rest count as reuse', async () => {
    const u = await t.signup();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(u.refreshToken)));
    const ok = results.filter((r) => r.statusCode === 200);
    assert.equal(ok.length, 1);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error.code, 'token_reused');
    }
    // The losers reused the token, so the winner's new token was revoked with the family.
    assert.equal((await refresh(ok[0]!.json().refreshToken)).statusCode, 401);
  });

  test('an expired token gets 401 token_expired', async () => {
    const u = await t.signup();
    await t.server.ctx.db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [u.user.id]);
    const res = await refresh(u.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'token_expired');
  });

  test('an unknown token gets 401 unauthorized', async () => {
    const res = await refresh('A'.repeat(43));
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthorized');
  });

  test('logout: 204, the token and its family stop working, and a logout action is emitted', async () => {
    const u = await t.signup();
    const second = (await refresh(u.refreshToken)).json().refreshToken;
    const res = await logout(second);
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    const after = await refresh(second);
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, 'token_reused');
    const actions = (await t.server.ctx.db.query("SELECT count(*)::int AS n FROM outbox_events WHERE user_id = $1 AND action_type = 'logout'", [u.user.id])).rows[0];
    assert.equal(actions.n, 1);
  });

  test('logout is idempotent and quiet about unknown tokens', async () => {
    const u = await t.signup();
    assert.equal((await logout(u.refreshToken)).statusCode, 204);
    assert.equal((await logout(u.refreshToken)).statusCode, 204);
    assert.equal((await logout('never-issued-token')).statusCode, 204);
  });

  for (const [name, send] of [
    ['refresh', refresh],
    ['logout', logout],
  ] as const) {
    for (const [label, value] of [
      ['a number', 42],
      ['empty', ''],
      ['huge', 'x'.repeat(10_000)],
      ['an object', { token: 'x' }],
    ] as const) {
      test(`${name} bad input: refreshToken ${label} -> 400 naming refreshToken`, async () => {
        const res = await send(value);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.field, 'refreshToken');
      });
    }
  }

  test('no token in the body and no cookie: refresh is 401, logout is a 204 that ends nothing', async () => {
    assert.equal((await refresh(undefined)).statusCode, 401);
    assert.equal((await logout(undefined)).statusCode, 204);
  });
});
