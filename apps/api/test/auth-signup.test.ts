import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.js';

async function counter(t: TestApp, name: 'signups'): Promise<number> {
  const m = await t.server.ctx.metrics[name].get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

describe('POST /api/auth/signup', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { SIGNUP_BONUS: '750' } });
  });
  after(() => t.close());

  const signup = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/auth/signup', headers: { 'x-refresh-token-delivery': 'body' }, payload: payload as object });

  test('creates the user, pays the bonus through the ledger, emits a signup action and counts it', async () => {
    const before = await counter(t, 'signups');
    const inviteCode = await t.createInvite();
    const res = await signup({ inviteCode, nickname: 'Alice_01', password: 'correct-horse-battery' });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'refreshToken', 'user']);
    assert.deepEqual(Object.keys(body.user).sort(), ['id', 'nickname']);
    assert.equal(body.user.nickname, 'Alice_01');
    assert.match(body.refreshToken, /^[A-Za-z0-9_-]{43,}$/);

    const claims = await t.server.ctx.tokens.verify(body.accessToken);
    const { jti, sid, ...rest } = claims;
    assert.deepEqual(rest, { sub: body.user.id, nickname: 'Alice_01', role: 'player', synthetic: false });
    assert.ok(jti.length >= 16, 'the token has its own id');
    const family = await t.server.ctx.db.query('SELECT family_id FROM refresh_tokens WHERE user_id = $1', [body.user.id]);
    assert.equal(sid, family.rows[0].family_id, 'the token names its session');

    const db = t.server.ctx.db;
    const user = (await db.query('SELECT balance, synthetic, role, password_hash FROM users WHERE id = $1', [body.user.id])).rows[0];
    assert.equal(user.balance, 750);
    assert.equal(user.synthetic, false);
    assert.equal(user.role, 'player');
    assert.match(user.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const ledger = (await db.query('SELECT kind, amount, balance_after FROM ledger_entries WHERE user_id = $1', [body.user.id])).rows;
    assert.deepEqual(ledger, [{ kind: 'signup_bonus', amount: 750, balance_after: 750 }]);
    const events = (await db.query('SELECT action_type FROM outbox_events WHERE user_id = $1', [body.user.id])).rows;
    assert.deepEqual(events, [{ action_type: 'signup' }]);
    const invite = (await db.query('SELECT uses FROM invite_codes WHERE code = $1', [inviteCode])).rows[0];
    assert.equal(invite.uses, 1);
    const stored = (await db.query('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [body.user.id])).rows;
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0].token_hash, body.refreshToken, 'refresh tokens are stored hashed');
    assert.equal(await counter(t, 'signups'), before + 1);
  });

  test('accepts the invite code in any case and with surrounding spaces', async () => {
    const code = await t.createInvite();
    const res = await signup({ inviteCode: `  ${code.toLowerCase()} `, nickname: 'casey_code', password: 'correct-horse-battery' });
    assert.equal(res.statusCode, 201, res.body);
  });

  test('unknown, used-up and expired invites all get 403 invalid_invite with one message', async () => {
    const used = await t.createInvite({ maxUses: 1 });
    assert.equal((await signup({ inviteCode: used, nickname: 'first_user', password: 'correct-horse-battery' })).statusCode, 201);
    const expired = await t.createInvite({ expiresAt: new Date(Date.now() - 1000) });
    const messages = new Set<string>();
    for (const [inviteCode, nickname] of [['CC-NOPE-NOPE-NOPE', 'unknown_inv'], [used, 'used_inv'], [expired, 'expired_inv']] as const) {
      const res = await signup({ inviteCode, nickname, password: 'correct-horse-battery' });
      assert.equal(res.statusCode, 403, `${nickname}: ${res.body}`);
      assert.equal(res.json().error.code, 'invalid_invite');
      assert.ok(res.json().error.requestId);
      messages.add(res.json().error.message);
      const exists = await t.server.ctx.db.query('SELECT 1 FROM users WHERE nickname = $1', [nickname]);
      assert.equal(exists.rowCount, 0);
    }
    assert.equal(messages.size, 1);
  });

  test('a multi-use invite works until it is used up', async () => {
    const code = await t.createInvite({ maxUses: 2 });
    assert.equal((await signup({ inviteCode: code, nickname: 'multi_1', password: 'correct-horse-battery' })).statusCode, 201);
    assert.equal((await signup({ inviteCode: code, nickname: 'multi_2', password: 'correct-horse-battery' })).statusCode, 201);
    assert.equal((await signup({ inviteCode: code, nickname: 'multi_3', password: 'correct-horse-battery' })).statusCode, 403);
  });

  test('a nickname taken in any letter case gets 409 and does not use up the invite', async () => {
    await t.signup({ nickname: 'TakenName' });
    const code = await t.createInvite();
    const res = await signup({ inviteCode: code, nickname: 'takenNAME', password: 'correct-horse-battery' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'nickname_taken');
    const invite = (await t.server.ctx.db.query('SELECT uses FROM invite_codes WHERE code = $1', [code])).rows[0];
    assert.equal(invite.uses, 0);
    assert.equal((await signup({ inviteCode: code, nickname: 'OtherName', password: 'correct-horse-battery' })).statusCode, 201);
  });

  test('a smoke invite makes a synthetic user that is not counted as a sign-up', async () => {
    const before = await counter(t, 'signups');
    const code = await t.createInvite({ smoke: true });
    const res = await signup({ inviteCode: code, nickname: 'smoke_bot', password: 'correct-horse-battery' });
    assert.equal(res.statusCode, 201);
    const { id } = res.json().user;
    const row = (await t.server.ctx.db.query('SELECT synthetic FROM users WHERE id = $1', [id])).rows[0];
    assert.equal(row.synthetic, true);
    assert.equal((await t.server.ctx.tokens.verify(res.json().accessToken)).synthetic, true);
    assert.equal(await counter(t, 'signups'), before);
  });

  test('concurrent sign-ups with one single-use invite: exactly one succeeds', async () => {
    const code = await t.createInvite({ maxUses: 1 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signup({ inviteCode: code, nickname: `racer_${i}`, password: 'correct-horse-battery' })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [201, ...Array(11).fill(403)]);
    const n = (await t.server.ctx.db.query("SELECT count(*)::int AS n FROM users WHERE nickname LIKE 'racer_%'")).rows[0].n;
    assert.equal(n, 1);
    assert.equal((await t.server.ctx.db.query('SELECT uses FROM invite_codes WHERE code = $1', [code])).rows[0].uses, 1);
  });

  test('concurrent sign-ups for one nickname with different invites: exactly one succeeds', async () => {
    const codes = await Promise.all(Array.from({ length: 6 }, () => t.createInvite()));
    const results = await Promise.all(codes.map((inviteCode) => signup({ inviteCode, nickname: 'SameNick', password: 'correct-horse-battery' })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409]);
  });

  const cases: Array<[string, unknown, string]> = [
    ['missing inviteCode', { nickname: 'valid_nick', password: 'correct-horse-battery' }, 'inviteCode'],
    ['missing nickname', { inviteCode: 'X', password: 'correct-horse-battery' }, 'nickname'],
    ['missing password', { inviteCode: 'X', nickname: 'valid_nick' }, 'password'],
    ['nickname too short', { inviteCode: 'X', nickname: 'ab', password: 'correct-horse-battery' }, 'nickname'],
    ['nickname too long', { inviteCode: 'X', nickname: 'a'.repeat(21), password: 'correct-horse-battery' }, 'nickname'],
    ['nickname with a space', { inviteCode: 'X', nickname: 'bad name', password: 'correct-horse-battery' }, 'nickname'],
    ['nickname with unicode', { inviteCode: 'X', nickname: 'ümlaut_x', password: 'correct-horse-battery' }, 'nickname'],
    ['nickname a number', { inviteCode: 'X', nickname: 12345, password: 'correct-horse-battery' }, 'nickname'],
    ['password too short', { inviteCode: 'X', nickname: 'valid_nick', password: 'short' }, 'password'],
    ['password huge', { inviteCode: 'X', nickname: 'valid_nick', password: 'p'.repeat(5000) }, 'password'],
    ['password an array', { inviteCode: 'X', nickname: 'valid_nick', password: ['correct-horse-battery'] }, 'password'],
    ['inviteCode huge', { inviteCode: 'C'.repeat(1000), nickname: 'valid_nick', password: 'correct-horse-battery' }, 'inviteCode'],
    ['inviteCode with a NUL byte', { inviteCode: 'CC-\u0000', nickname: 'valid_nick', password: 'correct-horse-battery' }, 'inviteCode'],
    ['inviteCode with punctuation', { inviteCode: "CC-'; --", nickname: 'valid_nick', password: 'correct-horse-battery' }, 'inviteCode'],
    ['inviteCode null', { inviteCode: null, nickname: 'valid_nick', password: 'correct-horse-battery' }, 'inviteCode'],
    ['body an array', [1, 2], 'body'],
  ];
  for (const [name, payload, field] of cases) {
    test(`bad input: ${name} -> 400 naming ${field}`, async () => {
      const res = await signup(payload);
      assert.equal(res.statusCode, 400, res.body);
      const err = res.json().error;
      assert.equal(err.field, field);
      assert.ok(err.message.startsWith(`${field}:`), err.message);
    });
  }

  test('bad input: a body over the size limit is 413, not 5xx', async () => {
    const res = await signup({ inviteCode: 'X', nickname: 'valid_nick', password: 'p'.repeat(40_000) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'payload_too_large');
  });

  test('bad input: malformed JSON is 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/signup', headers: { 'content-type': 'application/json' }, payload: '{"inviteCode":' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.field, 'body');
  });
});
