import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

const CODE_RE = /^CC-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{4}-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{4}-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{4}$/;

describe('POST /api/admin/invites', () => {
  let t: TestApp;
  let admin: { id: string; accessToken: string };
  before(async () => {
    t = await createTestApp();
    admin = await t.createUser({ role: 'admin' });
  });
  after(() => t.close());

  const create = (payload: unknown, headers: Record<string, string> = bearer(admin.accessToken)) =>
    t.app.inject({ method: 'POST', url: '/api/admin/invites', payload: payload as object, headers });
  const signup = (inviteCode: string, nickname: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { inviteCode, nickname, password: 'correct-horse-battery' } });

  test('needs a token: 401 without one or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer not.a.jwt' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const res = await create({ count: 1 }, headers);
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(res.json().error.code, 'unauthorized');
    }
  });

  test('needs the admin role: 403 for a player, and nothing is created', async () => {
    const player = await t.createUser({ role: 'player' });
    const res = await create({ count: 3 }, bearer(player.accessToken));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'forbidden');
    const n = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM invite_codes');
    assert.equal(n.rows[0].n, 0);
  });

  test('creates distinct, readable single-use codes that work for sign-up exactly once', async () => {
    const res = await create({ count: 5 });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.codes.length, 5);
    assert.equal(new Set(body.codes).size, 5);
    for (const c of body.codes) assert.match(c, CODE_RE);
    const { codes: _codes, ...settings } = body;
    assert.deepEqual(settings, { maxUses: 1, expiresAt: null, smoke: false });
    const rows = (await t.server.ctx.db.query('SELECT max_uses, uses, smoke, expires_at, created_by FROM invite_codes WHERE code = ANY($1)', [body.codes])).rows;
    assert.equal(rows.length, 5);
    for (const r of rows) assert.deepEqual(r, { max_uses: 1, uses: 0, smoke: false, expires_at: null, created_by: admin.id });
    assert.equal((await signup(body.codes[0], 'invited_1')).statusCode, 201);
    assert.equal((await signup(body.codes[0], 'invited_2')).statusCode, 403);
  });

  test('maxUses, expiresAt and smoke are stored and honoured', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await create({ count: 1, maxUses: 2, expiresAt, smoke: true });
    assert.equal(res.statusCode, 201, res.body);
    const { codes, maxUses, smoke } = res.json();
    assert.equal(maxUses, 2);
    assert.equal(smoke, true);
    assert.equal(res.json().expiresAt, expiresAt);
    const row = (await t.server.ctx.db.query('SELECT max_uses, smoke, expires_at FROM invite_codes WHERE code = $1', [codes[0]])).rows[0];
    assert.deepEqual(row, { max_uses: 2, smoke: true, expires_at: new Date(expiresAt) });
    const a = await signup(codes[0], 'smoke_a');
    assert.equal(a.statusCode, 201);
    const synthetic = (await t.server.ctx.db.query('SELECT synthetic FROM users WHERE id = $1', [a.json().user.id])).rows[0].synthetic;
    assert.equal(synthetic, true);
    assert.equal((await signup(codes[0], 'smoke_b')).statusCode, 201);
    assert.equal((await signup(codes[0], 'smoke_c')).statusCode, 403);
  });

  test('a code past its expiresAt is refused at sign-up', async () => {
    const { codes } = (await create({ count: 1, expiresAt: new Date(Date.now() + 1500).toISOString() })).json();
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal((await signup(codes[0], 'too_late')).statusCode, 403);
  });

  test('1000 codes in one call, all distinct', async () => {
    const res = await create({ count: 1000 });
    assert.equal(res.statusCode, 201);
    assert.equal(new Set(res.json().codes).size, 1000);
  });

  test('the codes do not appear in the logs', async () => {
    const { codes } = (await create({ count: 2 })).json();
    const text = t.logs.join('\n');
    assert.ok(text.includes('invites created'));
    for (const c of codes) assert.ok(!text.includes(c));
  });

  const cases: Array<[string, unknown, string]> = [
    ['count missing', {}, 'count'],
    ['count zero', { count: 0 }, 'count'],
    ['count too big', { count: 1001 }, 'count'],
    ['count a string', { count: '5' }, 'count'],
    ['count fractional', { count: 1.5 }, 'count'],
    ['maxUses zero', { count: 1, maxUses: 0 }, 'maxUses'],
    ['maxUses huge', { count: 1, maxUses: 1e7 }, 'maxUses'],
    ['expiresAt in the past', { count: 1, expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
    ['expiresAt not a date', { count: 1, expiresAt: 'tomorrow' }, 'expiresAt'],
    ['expiresAt huge', { count: 1, expiresAt: '9'.repeat(5000) }, 'expiresAt'],
    ['smoke a string', { count: 1, smoke: 'yes' }, 'smoke'],
  ];
  for (const [name, payload, field] of cases) {
    test(`bad input: ${name} -> 400 naming ${field}`, async () => {
      const res = await create(payload);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.field, field);
    });
  }
});
