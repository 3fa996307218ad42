import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { handleError } from '../src/http/error-handler.js';
import { rewardsModule } from '../src/modules/rewards/routes.js';
import { addDays, currentStreak, nextClaimAt, nextStreak, rewardAmount, utcDay } from '../src/modules/rewards/streak.js';
import { streakKey } from '../src/modules/rewards/streak-store.js';
import { walletModule } from '../src/modules/wallet/routes.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

describe('streak arithmetic (explicit UTC dates)', () => {
  const at = (iso: string) => new Date(iso);

  test('UTC day boundaries, not local ones', () => {
    assert.equal(utcDay(at('2024-03-10T23:59:59.999Z')), '2024-03-10');
    assert.equal(utcDay(at('2024-03-11T00:00:00.000Z')), '2024-03-11');
    assert.equal(addDays('2024-02-28', 1), '2024-02-29');
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addDays('2023-12-31', 1), '2024-01-01');
  });

  test('a claim the next day continues the streak; a missed day resets it', () => {
    const last = { days: 4, lastDay: '2024-03-10' };
    assert.equal(nextStreak(last, at('2024-03-11T00:00:00.000Z')), 5);
    assert.equal(nextStreak(last, at('2024-03-11T23:59:59.999Z')), 5);
    assert.equal(nextStreak(last, at('2024-03-12T00:00:00.000Z')), 1);
    assert.equal(nextStreak({ days: 0, lastDay: null }, at('2024-03-12T08:00:00Z')), 1);
  });

  test('the displayed streak drops to 0 once a day is missed', () => {
    const last = { days: 4, lastDay: '2024-03-10' };
    assert.equal(currentStreak(last, at('2024-03-10T12:00:00Z')), 4);
    assert.equal(currentStreak(last, at('2024-03-11T23:59:59Z')), 4);
    assert.equal(currentStreak(last, at('2024-03-12T00:00:00Z')), 0);
  });

  test('next claim opens at the next UTC midnight after a claim, else now', () => {
    const last = { days: 1, lastDay: '2024-03-10' };
    assert.equal(nextClaimAt(last, at('2024-03-10T05:00:00Z')), '2024-03-11T00:00:00.000Z');
    assert.equal(nextClaimAt(last, at('2024-03-11T05:00:00.000Z')), '2024-03-11T05:00:00.000Z');
  });

  test('the amount grows for a week then stays', () => {
    assert.deepEqual([1, 2, 3, 7, 8, 30].map(rewardAmount), [100, 150, 200, 400, 400, 400]);
  });
});

describe('POST /api/rewards/daily', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t?.close();
  });
  const claim = (token: string) => t.app.inject({ method: 'POST', url: '/api/rewards/daily', headers: bearer(token) });
  const me = async (token: string) => (await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })).json();
  const today = () => utcDay(new Date());

  test('first claim pays 100 with a 1-day streak; a second claim the same day is 409', async () => {
    const u = await t.createUser({ balance: 10 });
    const res = await claim(u.accessToken);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { amount: 100, streakDays: 1, balance: 110, nextClaimAt: `${addDays(today(), 1)}T00:00:00.000Z` });
    const again = await claim(u.accessToken);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'already_claimed');
    const m = await me(u.accessToken);
    assert.equal(m.balance, 110);
    assert.deepEqual(m.streak, { days: 1, nextClaimAt: `${addDays(today(), 1)}T00:00:00.000Z` });

    const db = t.server.ctx.db;
    const l = await db.query("SELECT amount, ref_id FROM ledger_entries WHERE user_id = $1 AND kind = 'daily_reward'", [u.id]);
    assert.deepEqual(l.rows, [{ amount: 100, ref_id: `daily:${today()}` }]);
    const ev = await db.query<{ payload: { metadata: Record<string, unknown> } }>("SELECT payload FROM outbox_events WHERE user_id = $1 AND action_type = 'daily_reward'", [u.id]);
    assert.equal(ev.rows.length, 1);
    assert.equal(ev.rows[0]!.payload.metadata['streakDays'], 1);
  });

  test('a claim yesterday continues the streak (integration, row dated yesterday)', async () => {
    const u = await t.createUser({ balance: 0 });
    await t.server.ctx.db.query('INSERT INTO daily_rewards (user_id, day, amount, streak_days) VALUES ($1, $2, 250, 4)', [u.id, addDays(today(), -1)]);
    assert.equal((await me(u.accessToken)).streak.days, 4);
    const res = await claim(u.accessToken);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().streakDays, 5);
    assert.equal(res.json().amount, rewardAmount(5));
    assert.equal((await me(u.accessToken)).streak.days, 5);
  });

  test('the streak resets after a missed day', async () => {
    const u = await t.createUser({ balance: 0 });
    await t.server.ctx.db.query('INSERT INTO daily_rewards (user_id, day, amount, streak_days) VALUES ($1, $2, 400, 9)', [u.id, addDays(today(), -2)]);
    assert.equal((await me(u.accessToken)).streak.days, 0);
    const res = await claim(u.accessToken);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().streakDays, 1);
    assert.equal(res.json().amount, 100);
  });

  test('parallel claims pay once', async () => {
    const u = await t.createUser({ balance: 0 });
    const results = await Promise.all(Array.from({ length: 20 }, () => claim(u.accessToken)));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, ...Array(19).fill(409)]);
    assert.equal((await me(u.accessToken)).balance, 100);
  });

  test('Redis caches the streak for /me; PostgreSQL stays the truth', async () => {
    const u = await t.createUser({ balance: 0 });
    assert.equal((await claim(u.accessToken)).statusCode, 200);
    const redis = t.server.ctx.redis!;
    assert.deepEqual(JSON.parse((await redis.get(streakKey(u.id)))!), { days: 1, lastDay: today() });
    // A lost or corrupt cache entry is rebuilt from daily_rewards.
    await redis.set(streakKey(u.id), '{corrupt');
    assert.equal((await me(u.accessToken)).streak.days, 0 + 1);
    await redis.del(streakKey(u.id));
    assert.equal((await me(u.accessToken)).streak.days, 1);
    assert.deepEqual(JSON.parse((await redis.get(streakKey(u.id)))!), { days: 1, lastDay: today() });
  });

  test('counts claims of real users in metrics', async () => {
    const value = async () => (await t.server.ctx.metrics.registry.getSingleMetric('cc_api_daily_rewards_total')!.get()).values[0]?.value ?? 0;
    const before = await value();
    await claim((await t.createUser({ synthetic: true })).accessToken);
    await claim((await t.createUser()).accessToken);
    assert.equal(await value(), before + 1);
  });

  test('needs a token', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/rewards/daily' })).statusCode, 401);
  });

  describe('with an injected clock', () => {
    let app: FastifyInstance;
    let clock = new Date('2031-05-01T10:00:00.000Z');
    before(async () => {
      app = Fastify();
      app.setErrorHandler((err, req, reply) => handleError(err as Error, req, reply, () => undefined));
      await app.register(rewardsModule(t.server.ctx, { now: () => clock }), { prefix: '/api/rewards' });
      await app.register(walletModule(t.server.ctx, { now: () => clock }), { prefix: '/api' });
    });
    after(async () => {
      await app?.close();
    });

    test('crosses UTC midnights: continue, continue, miss, reset', async () => {
      const u = await t.createUser({ balance: 0 });
      const step = async (iso: string) => {
        clock = new Date(iso);
        const r = await app.inject({ method: 'POST', url: '/api/rewards/daily', headers: bearer(u.accessToken) });
        return { status: r.statusCode, body: r.json() };
      };
      assert.equal((await step('2031-05-01T10:00:00.000Z')).body.streakDays, 1);
      assert.equal((await step('2031-05-01T23:59:59.999Z')).status, 409);
      assert.equal((await step('2031-05-02T00:00:00.000Z')).body.streakDays, 2);
      const third = await step('2031-05-03T23:00:00.000Z');
      assert.deepEqual(third.body, { amount: 200, streakDays: 3, balance: 450, nextClaimAt: '2031-05-04T00:00:00.000Z' });
      clock = new Date('2031-05-05T01:00:00.000Z');
      const m = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(u.accessToken) });
      assert.deepEqual(m.json().streak, { days: 0, nextClaimAt: '2031-05-05T01:00:00.000Z' });
      assert.equal((await step('2031-05-05T01:00:00.000Z')).body.streakDays, 1);
      const ids = await t.server.ctx.db.query<{ day: string }>('SELECT day::text AS day FROM daily_rewards WHERE user_id = $1 ORDER BY day', [u.id]);
      assert.deepEqual(ids.rows.map((r) => r.day), ['2031-05-01', '2031-05-02', '2031-05-03', '2031-05-05']);
    });
  });
});

for (const [label, opts] of [
  ['without Redis configured', { redis: false }],
  ['with Redis unreachable', { env: { REDIS_URL: 'redis://127.0.0.1:1' } }],
] as const) {
  describe(`rewards, /me and plays ${label}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(opts);
    });
    after(async () => {
      await t?.close();
      // An unreachable Redis never finishes QUIT; stop its reconnect timer so the file can exit.
      t?.server.ctx.redis?.disconnect();
    });

    test('fall back to PostgreSQL', async () => {
      if ('redis' in opts) assert.equal(t.server.ctx.redis, null);
      else assert.notEqual(t.server.ctx.redis, null);
      const u = await t.createUser({ balance: 0 });
      await t.server.ctx.db.query('INSERT INTO daily_rewards (user_id, day, amount, streak_days) VALUES ($1, $2, 100, 1)', [u.id, addDays(utcDay(new Date()), -1)]);
      const meBefore = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(u.accessToken) });
      assert.equal(meBefore.statusCode, 200);
      assert.equal(meBefore.json().streak.days, 1);
      const res = await t.app.inject({ method: 'POST', url: '/api/rewards/daily', headers: bearer(u.accessToken) });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().streakDays, 2);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/rewards/daily', headers: bearer(u.accessToken) })).statusCode, 409);
      const me = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(u.accessToken) });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().streak.days, 2);
      assert.equal(me.json().balance, 150);
      const spin = await t.app.inject({
        method: 'POST',
        url: '/api/games/slots/spin',
        headers: { ...bearer(u.accessToken), 'idempotency-key': randomUUID() },
        payload: { bet: 10 },
      });
      assert.equal(spin.statusCode, 200);
    });
  });
}
