import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Migrator } from '@cc/pg-migrate';
import pg from 'pg';
import { ALL_TIME_SQL } from '../src/modules/leaderboard/routes.js';
import { defaultMigrationsDir } from '../src/paths.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-db.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t?.close();
});

interface Entry {
  rank: number;
  nickname: string;
  net: number;
  plays: number;
}

/** Records a settled play directly, so the ranking under test does not depend on luck. */
async function recordPlay(userId: string, game: 'slots' | 'rps' | 'gacha', bet: number, payout: number, createdAt?: string) {
  await t.server.ctx.db.query(
    `INSERT INTO plays (user_id, game, idempotency_key, request_hash, bet, payout, response, created_at)
     VALUES ($1, $2, $3, 'h', $4, $5, '{}', coalesce($6::timestamptz, now()))`,
    [userId, game, randomUUID(), bet, payout, createdAt ?? null],
  );
}

async function board(token: string, period?: string) {
  return t.app.inject({ method: 'GET', url: `/api/leaderboard${period === undefined ? '' : `?period=${period}`}`, headers: bearer(token) });
}

describe('GET /api/leaderboard', () => {
  test('ranks real users by net winnings, excludes synthetic users and gacha, and splits day from all time', async () => {
    const big = await t.createUser({ nickname: `lb_big_${randomUUID().slice(0, 6)}` });
    const small = await t.createUser({ nickname: `lb_small_${randomUUID().slice(0, 4)}` });
    const loser = await t.createUser({ nickname: `lb_lose_${randomUUID().slice(0, 5)}` });
    const bot = await t.createUser({ nickname: `lb_bot_${randomUUID().slice(0, 6)}`, synthetic: true });
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();

    await recordPlay(big.id, 'slots', 10, 2000, old); // all-time winner, nothing today
    await recordPlay(big.id, 'rps', 10, 0);
    await recordPlay(small.id, 'rps', 50, 100);
    await recordPlay(small.id, 'gacha', 900, 0); // a purchase, not a loss
    await recordPlay(loser.id, 'slots', 100, 0);
    await recordPlay(bot.id, 'slots', 1, 100_000);

    const all = await board(big.accessToken, 'all');
    assert.equal(all.statusCode, 200);
    const allBody = all.json() as { period: string; entries: Entry[] };
    assert.equal(allBody.period, 'all');
    assert.deepEqual(allBody.entries, [
      { rank: 1, nickname: big.nickname, net: 1980, plays: 2 },
      { rank: 2, nickname: small.nickname, net: 50, plays: 1 },
      { rank: 3, nickname: loser.nickname, net: -100, plays: 1 },
    ]);

    const day = (await board(big.accessToken, 'day')).json() as { period: string; entries: Entry[] };
    assert.equal(day.period, 'day');
    assert.deepEqual(
      day.entries.map((e) => [e.nickname, e.net]),
      [
        [small.nickname, 50],
        [big.nickname, -10],
        [loser.nickname, -100],
      ],
    );
    // Default period is all time.
    assert.deepEqual((await board(big.accessToken)).json().entries, allBody.entries);
  });

  test('real plays through the API show up', async () => {
    const u = await t.createUser({ balance: 100 });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/games/rps/play',
      headers: { ...bearer(u.accessToken), 'idempotency-key': randomUUID() },
      payload: { bet: 10, choice: 'paper' },
    });
    assert.equal(res.statusCode, 200);
    const entries = (await board(u.accessToken, 'day')).json().entries as Entry[];
    assert.deepEqual(entries.find((e) => e.nickname === u.nickname)?.net, res.json().payout - 10);
  });

  test('keeps the top 50', async () => {
    const users = await Promise.all(Array.from({ length: 55 }, () => t.createUser()));
    await Promise.all(users.map((u, i) => recordPlay(u.id, 'slots', 1, 10_000 + i)));
    const entries = (await board(users[0]!.accessToken, 'all')).json().entries as Entry[];
    assert.equal(entries.length, 50);
    assert.deepEqual(entries.map((e) => e.rank), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(entries[0]!.nickname, users[54]!.nickname);
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1]!.net >= entries[i]!.net);
  });

  test('all time reads per-player totals that match every play, without scanning plays', async () => {
    const u = await t.createUser({ balance: 1000 });
    for (const [path, payload] of [
      ['slots/spin', { bet: 10 }],
      ['rps/play', { bet: 20, choice: 'rock' }],
      ['gacha/pull', { count: 1 }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: `/api/games/${path}`, headers: { ...bearer(u.accessToken), 'idempotency-key': randomUUID() }, payload });
      assert.equal(res.statusCode, 200, res.body);
    }
    await recordPlay(u.id, 'rps', 5, 0);
    // The trigger-kept totals agree with a full recount for every player in this database.
    const drift = await t.server.ctx.db.query(`
      SELECT coalesce(t.user_id, p.user_id) AS user_id, t.net, t.plays, p.net AS want_net, p.plays AS want_plays
        FROM leaderboard_totals t
        FULL JOIN (SELECT user_id, sum(payout - bet) AS net, count(*) AS plays FROM plays WHERE game IN ('slots', 'rps') GROUP BY user_id) p
          ON p.user_id = t.user_id
       WHERE t.net IS DISTINCT FROM p.net OR t.plays IS DISTINCT FROM p.plays`);
    assert.deepEqual(drift.rows, []);
    const mine = await t.server.ctx.db.query('SELECT plays FROM leaderboard_totals WHERE user_id = $1', [u.id]);
    assert.equal(mine.rows[0].plays, 3, 'slots, rps and the recorded rps play; the gacha pull is not a wager');

    const plan = JSON.stringify((await t.server.ctx.db.query(`EXPLAIN (FORMAT JSON) ${ALL_TIME_SQL}`)).rows[0]);
    assert.doesNotMatch(plan, /"Relation Name":"plays"/, 'all time must not aggregate the plays table');
  });

  test('an invalid period gets 400 naming period; a token is needed', async () => {
    const u = await t.createUser();
    for (const p of ['week', '', 'DAY', 'x'.repeat(5000)]) {
      const res = await board(u.accessToken, p);
      assert.equal(res.statusCode, 400, p.slice(0, 10));
      assert.equal(res.json().error.field, 'period');
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/leaderboard' })).statusCode, 401);
  });
});

describe('migration 0006 (leaderboard totals)', () => {
  test('backfills the totals from the plays recorded before it, then the trigger keeps them', async () => {
    const db = await createTestDatabase({ migrate: false });
    const c = new pg.Client({ connectionString: db.url });
    try {
      const migrator = new Migrator({ databaseUrl: db.url, dir: defaultMigrationsDir() });
      await migrator.up(5);
      await c.connect();
      const users = await c.query<{ id: string }>("INSERT INTO users (nickname, password_hash) VALUES ('before_a', 'x'), ('before_b', 'x') RETURNING id");
      const [a, b] = users.rows.map((r) => r.id);
      const play = (user: string, game: string, bet: number, payout: number) =>
        c.query(`INSERT INTO plays (user_id, game, idempotency_key, request_hash, bet, payout, response) VALUES ($1, $2, $3, 'h', $4, $5, '{}')`, [user, game, randomUUID(), bet, payout]);
      await play(a!, 'slots', 10, 50);
      await play(a!, 'rps', 10, 0);
      await play(a!, 'gacha', 100, 0);
      await play(b!, 'gacha', 100, 0);

      await migrator.up();
      await play(a!, 'slots', 10, 15);
      const totals = await c.query('SELECT user_id, net::int, plays::int FROM leaderboard_totals ORDER BY net DESC');
      assert.deepEqual(totals.rows, [{ user_id: a, net: 35, plays: 3 }], 'a gacha-only player has no total');
    } finally {
      await c.end().catch(() => undefined);
      await db.drop();
    }
  });
});
