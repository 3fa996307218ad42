import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.js';

async function logins(t: TestApp, result: 'success' | 'failure'): Promise<number> {
  const m = await t.server.ctx.metrics.logins.get();
  return m.values.find((v) => v.labels['result'] === result)?.value ?? 0;
}

describe('POST /api/auth/login', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const login = (payload: unknown, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-refresh-token-delivery': 'body' }, payload: payload as object, remoteAddress });

  test('returns the user and a fresh token pair, emits a login action and counts a success', async () => {
    const u = await t.signup({ nickname: 'LoginUser', password: 'a-long-password-1' });
    const before = await logins(t, 'success');
    const res = await login({ nickname: 'LoginUser', password: 'a-long-password-1' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.user, { id: u.user.id, nickname: 'LoginUser' });
    assert.notEqual(body.refreshToken, u.refreshToken);
    assert.equal((await t.server.ctx.tokens.verify(body.accessToken)).sub, u.user.id);
    const actions = (await t.server.ctx.db.query('SELECT action_type FROM outbox_events WHERE user_id = $1 ORDER BY id', [u.user.id])).rows;
    assert.deepEqual(actions.map((a) => a.action_type), ['signup', 'login']);
    assert.equal(await logins(t, 'success'), before + 1);
  });

  test('the nickname matches in any letter case and the stored spelling is returned', async () => {
    await t.signup({ nickname: 'MixedCase', password: 'a-long-password-2' });
    const res = await login({ nickname: 'mixedcase', password: 'a-long-password-2' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().user.nickname, 'MixedCase');
  });

  test('every login starts its own refresh-token family', async () => {
    const u = await t.signup({ nickname: 'two_logins', password: 'a-long-password-3' });
    await login({ nickname: 'two_logins', password: 'a-long-password-3' });
    await login({ nickname: 'two_logins', password: 'a-long-password-3' });
    const r = await t.server.ctx.db.query('SELECT count(DISTINCT family_id)::int AS n FROM refresh_tokens WHERE user_id = $1', [u.user.id]);
    assert.equal(r.rows[0].n, 3);
  });

  test('an admin gets an access token with the admin role', async () => {
    const u = await t.signup({ nickname: 'future_admin', password: 'a-long-password-4' });
    await t.server.ctx.db.query("UPDATE users SET role = 'admin' WHERE id = $1", [u.user.id]);
    const res = await login({ nickname: 'future_admin', password: 'a-long-password-4' });
    assert.equal((await t.server.ctx.tokens.verify(res.json().accessToken)).role, 'admin');
  });

  test('unknown nickname and wrong password get the same 401 and count as failures', async () => {
    await t.signup({ nickname: 'real_user', password: 'a-long-password-5' });
    const before = await logins(t, 'failure');
    const wrong = await login({ nickname: 'real_user', password: 'not-the-password' }, '10.1.0.1');
    const unknown = await login({ nickname: 'ghost_user', password: 'not-the-password' }, '10.1.0.2');
    for (const res of [wrong, unknown]) {
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'invalid_credentials');
    }
    assert.equal(wrong.json().error.message, unknown.json().error.message);
    assert.equal(await logins(t, 'failure'), before + 2);
    const events = await t.server.ctx.db.query("SELECT 1 FROM outbox_events WHERE action_type = 'login' AND user_id = (SELECT id FROM users WHERE nickname = 'real_user')");
    assert.equal(events.rowCount, 0, 'a failed login emits no login action');
  });

  test('a user whose stored hash is not argon2 gets 401, not 500', async () => {
    const u = await t.createUser({ nickname: 'no_hash_user' });
    const res = await login({ nickname: u.nickname, password: 'whatever-password' }, '10.1.0.3');
    assert.equal(res.statusCode, 401);
  });

  const cases: Array<[string, unknown, string]> = [
    ['missing nickname', { password: 'a-long-password' }, 'nickname'],
    ['missing password', { nickname: 'someone' }, 'password'],
    ['empty password', { nickname: 'someone', password: '' }, 'password'],
    ['huge password', { nickname: 'someone', password: 'x'.repeat(3000) }, 'password'],
    ['nickname an object', { nickname: { $ne: null }, password: 'a-long-password' }, 'nickname'],
    ['nickname with SQL', { nickname: "x' OR 1=1 --", password: 'a-long-password' }, 'nickname'],
    ['password a number', { nickname: 'someone', password: 1234567890123 }, 'password'],
    ['no body', undefined, 'nickname'],
  ];
  for (const [name, payload, field] of cases) {
    test(`bad input: ${name} -> 400 naming ${field}`, async () => {
      const res = await login(payload, '10.1.9.9');
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.field, field);
    });
  }
});
