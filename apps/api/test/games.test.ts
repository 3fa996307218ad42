import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GACHA_COST } from '../src/games/gacha.js';
import { RPS_PAYS, rpsResult } from '../src/games/rps.js';
import { SLOTS_MAX_BET, slotLine, type Reels } from '../src/games/slots.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t?.close();
});

async function play(token: string, url: string, payload: unknown, key: string | null = randomUUID()) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(token), ...(key === null ? {} : { 'idempotency-key': key }) },
    payload: payload as Record<string, unknown>,
  });
}

async function balanceOf(id: string): Promise<number> {
  const r = await t.server.ctx.db.query<{ balance: number }>('SELECT balance FROM users WHERE id = $1', [id]);
  return r.rows[0]!.balance;
}

async function ledgerSum(id: string): Promise<number> {
  const r = await t.server.ctx.db.query<{ s: number }>('SELECT coalesce(sum(amount), 0)::bigint AS s FROM ledger_entries WHERE user_id = $1', [id]);
  return r.rows[0]!.s;
}

describe('GET /api/games', () => {
  test('lists the three games with limits, odds and RTP', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({ method: 'GET', url: '/api/games', headers: bearer(u.accessToken) });
    assert.equal(res.statusCode, 200);
    const { games } = res.json() as { games: { id: string; bet: { min: number; max: number } | null; rtp: number | null; odds: Record<string, unknown> }[] };
    assert.deepEqual(games.map((g) => g.id), ['slots', 'rps', 'gacha']);
    const slots = games[0]!;
    assert.deepEqual(slots.bet, { min: 1, max: SLOTS_MAX_BET });
    assert.ok(slots.rtp! > 0.9 && slots.rtp! < 1, `slots rtp ${slots.rtp}`);
    assert.ok(Array.isArray(slots.odds['paytable']));
    assert.equal(games[2]!.rtp, null);
    assert.equal(games[2]!.odds['pity'], false);
  });

  test('needs a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/games' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthorized');
  });
});

describe('POST /api/games/slots/spin', () => {
  test('charges the bet, pays by the paytable and records ledger, play and event', async () => {
    const u = await t.createUser({ balance: 1000 });
    const res = await play(u.accessToken, '/api/games/slots/spin', { bet: 10 });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { playId: string; reels: Reels; payout: number; balance: number };
    assert.equal(body.reels.length, 3);
    assert.equal(body.payout, 10 * (slotLine(body.reels)?.multiplier ?? 0));
    assert.equal(body.balance, 1000 - 10 + body.payout);
    assert.equal(await balanceOf(u.id), body.balance);
    assert.equal(await ledgerSum(u.id), body.balance);

    const ledger = await t.server.ctx.db.query<{ kind: string; amount: number; balance_after: number }>(
      'SELECT kind, amount, balance_after FROM ledger_entries WHERE ref_id = $1 ORDER BY id',
      [body.playId],
    );
    const expected = [{ kind: 'bet', amount: -10, balance_after: 990 }];
    if (body.payout > 0) expected.push({ kind: 'payout', amount: body.payout, balance_after: body.balance });
    assert.deepEqual(ledger.rows, expected);

    const ev = await t.server.ctx.db.query<{ action_type: string; payload: { user_id: string; metadata: Record<string, unknown> } }>(
      "SELECT action_type, payload FROM outbox_events WHERE payload->'metadata'->>'playId' = $1",
      [body.playId],
    );
    assert.equal(ev.rows.length, 1);
    assert.equal(ev.rows[0]!.action_type, 'play_slots');
    assert.equal(ev.rows[0]!.payload.user_id, u.id);
    assert.equal(ev.rows[0]!.payload.metadata['bet'], 10);
    assert.equal(ev.rows[0]!.payload.metadata['payout'], body.payout);
  });

  test('a replay returns the identical body and charges nothing', async () => {
    const u = await t.createUser({ balance: 500 });
    const key = `spin-${randomUUID()}`;
    const first = await play(u.accessToken, '/api/games/slots/spin', { bet: 7 }, key);
    const again = await play(u.accessToken, '/api/games/slots/spin', { bet: 7 }, key);
    assert.equal(first.statusCode, 200);
    assert.equal(again.statusCode, 200);
    assert.equal(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(await balanceOf(u.id), first.json().balance);
    const plays = await t.server.ctx.db.query('SELECT 1 FROM plays WHERE user_id = $1', [u.id]);
    assert.equal(plays.rowCount, 1);
  });

  test('the same key with a different body is refused', async () => {
    const u = await t.createUser({ balance: 500 });
    const key = randomUUID();
    assert.equal((await play(u.accessToken, '/api/games/slots/spin', { bet: 5 }, key)).statusCode, 200);
    const res = await play(u.accessToken, '/api/games/slots/spin', { bet: 6 }, key);
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().error.code, 'idempotency_key_mismatch');
    // A key is per user: another user may use the same one.
    const other = await t.createUser({ balance: 500 });
    assert.equal((await play(other.accessToken, '/api/games/slots/spin', { bet: 6 }, key)).statusCode, 200);
  });

  test('a key used for another game is a mismatch', async () => {
    const u = await t.createUser({ balance: 500 });
    const key = randomUUID();
    assert.equal((await play(u.accessToken, '/api/games/slots/spin', { bet: 5 }, key)).statusCode, 200);
    const res = await play(u.accessToken, '/api/games/rps/play', { bet: 5, choice: 'rock' }, key);
    assert.equal(res.statusCode, 422);
  });

  test('missing or malformed Idempotency-Key', async () => {
    const u = await t.createUser({ balance: 500 });
    const missing = await play(u.accessToken, '/api/games/slots/spin', { bet: 5 }, null);
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, 'idempotency_key_required');
    for (const key of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const res = await play(u.accessToken, '/api/games/slots/spin', { bet: 5 }, key);
      assert.equal(res.statusCode, 400, key);
      assert.match(res.json().error.message, /^Idempotency-Key:/);
    }
    const ok = await play(u.accessToken, '/api/games/slots/spin', { bet: 5 }, 'A-z_0:9.' + 'k'.repeat(120));
    assert.equal(ok.statusCode, 200);
    // Only the one accepted play moved coins.
    assert.equal(await balanceOf(u.id), 500 - 5 + ok.json().payout);
  });

  test('bets outside the limits or of the wrong type get 400 naming bet', async () => {
    const u = await t.createUser({ balance: 5000 });
    for (const bet of [0, -5, 1.5, SLOTS_MAX_BET + 1, 1e300, '10', null, true, [10], { n: 1 }, 'x'.repeat(10_000)]) {
      const res = await play(u.accessToken, '/api/games/slots/spin', { bet });
      assert.equal(res.statusCode, 400, `bet ${JSON.stringify(bet).slice(0, 20)}`);
      assert.equal(res.json().error.field, 'bet');
      assert.match(res.json().error.message, /^bet: /);
    }
    const none = await play(u.accessToken, '/api/games/slots/spin', {});
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().error.field, 'bet');
    assert.equal(await balanceOf(u.id), 5000);
  });

  test('a bet above the balance gets 409 insufficient_funds and charges nothing', async () => {
    const u = await t.createUser({ balance: 5 });
    const res = await play(u.accessToken, '/api/games/slots/spin', { bet: 6 });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'insufficient_funds');
    assert.equal(await balanceOf(u.id), 5);
    const plays = await t.server.ctx.db.query('SELECT 1 FROM plays WHERE user_id = $1', [u.id]);
    assert.equal(plays.rowCount, 0);
  });

  test('a bet of the whole balance is allowed', async () => {
    const u = await t.createUser({ balance: 3 });
    const res = await play(u.accessToken, '/api/games/slots/spin', { bet: 3 });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().balance, res.json().payout);
  });

  test('needs a token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/games/slots/spin', headers: { 'idempotency-key': 'k1' }, payload: { bet: 1 } });
    assert.equal(res.statusCode, 401);
  });
});

describe('POST /api/games/rps/play', () => {
  test('settles by the rules with an independent house move', async () => {
    const u = await t.createUser({ balance: 10_000 });
    let balance = 10_000;
    for (const choice of ['rock', 'paper', 'scissors', 'rock', 'paper', 'scissors'] as const) {
      const res = await play(u.accessToken, '/api/games/rps/play', { bet: 20, choice });
      assert.equal(res.statusCode, 200);
      const body = res.json() as { playId: string; choice: string; houseChoice: 'rock' | 'paper' | 'scissors'; result: 'win' | 'draw' | 'lose'; payout: number; balance: number };
      assert.equal(body.choice, choice);
      assert.equal(body.result, rpsResult(choice, body.houseChoice));
      assert.equal(body.payout, 20 * RPS_PAYS[body.result]);
      balance = balance - 20 + body.payout;
      assert.equal(body.balance, balance);
    }
    assert.equal(await ledgerSum(u.id), balance);
  });

  test('rejects a bad choice naming the field', async () => {
    const u = await t.createUser();
    for (const payload of [{ bet: 5 }, { bet: 5, choice: 'lizard' }, { bet: 5, choice: 1 }, { bet: 'five', choice: 'rock' }]) {
      const res = await play(u.accessToken, '/api/games/rps/play', payload);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.field, 'bet' in payload && typeof payload.bet === 'number' ? 'choice' : 'bet');
    }
  });
});

describe('POST /api/games/gacha/pull', () => {
  test('1 and 10 pulls cost the published price and return that many items', async () => {
    const u = await t.createUser({ balance: 2000 });
    const one = await play(u.accessToken, '/api/games/gacha/pull', { count: 1 });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().items.length, 1);
    assert.equal(one.json().cost, GACHA_COST[1]);
    const ten = await play(u.accessToken, '/api/games/gacha/pull', { count: 10 });
    assert.equal(ten.statusCode, 200);
    const body = ten.json() as { items: { rarity: string; name: string }[]; cost: number; balance: number };
    assert.equal(body.items.length, 10);
    assert.equal(body.cost, GACHA_COST[10]);
    assert.equal(body.balance, 2000 - GACHA_COST[1] - GACHA_COST[10]);
    const kinds = await t.server.ctx.db.query<{ kind: string }>("SELECT DISTINCT kind FROM ledger_entries WHERE user_id = $1 AND kind <> 'adjustment'", [u.id]);
    assert.deepEqual(kinds.rows, [{ kind: 'gacha' }]);
  });

  test('other counts are refused; too poor is 409', async () => {
    const u = await t.createUser({ balance: 150 });
    for (const count of [0, 2, 5, 11, '1', -1, 1.5]) {
      const res = await play(u.accessToken, '/api/games/gacha/pull', { count });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.field, 'count');
    }
    const res = await play(u.accessToken, '/api/games/gacha/pull', { count: 10 });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'insufficient_funds');
    assert.equal(await balanceOf(u.id), 150);
  });
});

describe('metrics', () => {
  test('count plays, bets and payouts by game for real users, not synthetic ones', async () => {
    const value = async (name: string, game: string) => {
      const m = await t.server.ctx.metrics.registry.getSingleMetric(name)!.get();
      return m.values.find((v) => v.labels['game'] === game)?.value ?? 0;
    };
    const before = { plays: await value('cc_api_plays_total', 'rps'), bets: await value('cc_api_bets_coins_total', 'rps') };
    const real = await t.createUser({ balance: 1000 });
    const synth = await t.createUser({ balance: 1000, synthetic: true });
    assert.equal((await play(real.accessToken, '/api/games/rps/play', { bet: 11, choice: 'rock' })).statusCode, 200);
    assert.equal((await play(synth.accessToken, '/api/games/rps/play', { bet: 13, choice: 'rock' })).statusCode, 200);
    assert.equal(await value('cc_api_plays_total', 'rps'), before.plays + 1);
    assert.equal(await value('cc_api_bets_coins_total', 'rps'), before.bets + 11);
  });
});
