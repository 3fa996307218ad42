import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

// Real parallelism against PostgreSQL: requests go through the HTTP server (listen) with
// separate pool connections, so row locks and the unique index are really contended.

let t: TestApp;
let base: string;
before(async () => {
  t = await createTestApp({ env: { DATABASE_POOL_MAX: '20' } });
  base = await t.server.listen();
});
after(async () => {
  await t?.close();
});

async function spin(token: string, key: string, bet: number) {
  const res = await fetch(`${base}/api/games/slots/spin`, {
    method: 'POST',
    headers: { ...bearer(token), 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ bet }),
  });
  return { status: res.status, body: await res.text(), replayed: res.headers.get('idempotent-replayed') === 'true' };
}

async function books(userId: string) {
  const r = await t.server.ctx.db.query<{ balance: number; ledger: number; min_after: number; entries: number }>(
    `SELECT u.balance, coalesce(sum(l.amount), 0)::bigint AS ledger, min(l.balance_after)::bigint AS min_after, count(l.id)::int AS entries
       FROM users u LEFT JOIN ledger_entries l ON l.user_id = u.id WHERE u.id = $1 GROUP BY u.id`,
    [userId],
  );
  return r.rows[0]!;
}

describe('concurrency', () => {
  test('200 parallel plays by one user with a small balance never go below zero and the ledger sums to the balance', async () => {
    const u = await t.createUser({ balance: 50 });
    const results = await Promise.all(Array.from({ length: 200 }, () => spin(u.accessToken, randomUUID(), 5)));
    const statuses = new Set(results.map((r) => r.status));
    assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 409), [], 'only successes and insufficient_funds');
    const ok = results.filter((r) => r.status === 200).map((r) => JSON.parse(r.body) as { payout: number; balance: number });
    assert.ok(ok.length >= 10, `at least the first 10 bets fit the balance, got ${ok.length}`);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(JSON.parse(r.body).error.code, 'insufficient_funds');

    const b = await books(u.id);
    assert.ok(b.balance >= 0);
    assert.ok(b.min_after >= 0);
    assert.equal(b.ledger, b.balance);
    assert.equal(b.balance, 50 - 5 * ok.length + ok.reduce((s, r) => s + r.payout, 0));
    const plays = await t.server.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plays WHERE user_id = $1', [u.id]);
    assert.equal(plays.rows[0]!.n, ok.length);
  });

  test('50 parallel replays of one Idempotency-Key charge once and all return the identical body', async () => {
    const u = await t.createUser({ balance: 1000 });
    const key = `replay-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => spin(u.accessToken, key, 25)));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(results.map((r) => r.body)).size, 1, 'every response body is byte-identical');
    assert.equal(results.filter((r) => !r.replayed).length, 1, 'exactly one request did the play');

    const body = JSON.parse(results[0]!.body) as { playId: string; payout: number; balance: number };
    const b = await books(u.id);
    assert.equal(b.balance, 1000 - 25 + body.payout);
    assert.equal(b.balance, body.balance);
    assert.equal(b.ledger, b.balance);
    const bets = await t.server.ctx.db.query("SELECT 1 FROM ledger_entries WHERE user_id = $1 AND kind = 'bet'", [u.id]);
    assert.equal(bets.rowCount, 1);
    const events = await t.server.ctx.db.query("SELECT 1 FROM outbox_events WHERE user_id = $1 AND action_type = 'play_slots'", [u.id]);
    assert.equal(events.rowCount, 1);
  });

  test('a replay still answers after the balance has run out', async () => {
    const u = await t.createUser({ balance: 10 });
    const key = randomUUID();
    // All of them race for the whole balance under one key: the play happens once, and the
    // requests that waited on it must get its result, not insufficient_funds.
    const results = await Promise.all(Array.from({ length: 30 }, () => spin(u.accessToken, key, 10)));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(results.map((r) => r.body)).size, 1);
  });

  test('many users playing at once keep their own books', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => t.createUser({ balance: 200 })));
    await Promise.all(users.flatMap((u) => Array.from({ length: 20 }, () => spin(u.accessToken, randomUUID(), 3))));
    for (const u of users) {
      const b = await books(u.id);
      assert.equal(b.ledger, b.balance);
      assert.ok(b.balance >= 0);
    }
    const r = await t.server.ctx.db.query<{ bad: number }>(
      `SELECT count(*)::int AS bad FROM plays p
        WHERE (SELECT count(*) FROM ledger_entries l WHERE l.ref_id = p.id::text) <> CASE WHEN p.payout > 0 THEN 2 ELSE 1 END`,
    );
    assert.equal(r.rows[0]!.bad, 0, 'every play has its bet entry and, when it paid, its payout entry');
  });
});
