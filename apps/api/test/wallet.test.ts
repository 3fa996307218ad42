import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeCursor, encodeCursor } from '../src/modules/wallet/cursor.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t?.close();
});

interface Entry {
  id: number;
  kind: string;
  amount: number;
  balanceAfter: number;
  refId: string | null;
  createdAt: string;
}

async function ledger(token: string, qs = '') {
  return t.app.inject({ method: 'GET', url: `/api/wallet/ledger${qs}`, headers: bearer(token) });
}

describe('GET /api/me', () => {
  test('returns the profile, balance and a fresh streak', async () => {
    const u = await t.createUser({ balance: 1234 });
    const before = Date.now();
    const res = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(u.accessToken) });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.id, u.id);
    assert.equal(body.nickname, u.nickname);
    assert.equal(body.balance, 1234);
    assert.equal(body.streak.days, 0);
    // Never claimed: the next claim is open now.
    assert.ok(Date.parse(body.streak.nextClaimAt) >= before - 1000 && Date.parse(body.streak.nextClaimAt) <= Date.now() + 1000);
    assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
  });

  test('needs a valid token', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/me', headers });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'unauthorized');
    }
  });
});

describe('GET /api/wallet/ledger', () => {
  test('pages newest first with an opaque cursor until the end', async () => {
    const u = await t.createUser({ balance: 1000 });
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/games/gacha/pull',
        headers: { ...bearer(u.accessToken), 'idempotency-key': randomUUID() },
        payload: { count: 1 },
      });
      assert.equal(res.statusCode, 200);
    }
    const seen: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await ledger(u.accessToken, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.statusCode, 200);
      const body = res.json() as { entries: Entry[]; nextCursor: string | null };
      assert.ok(body.entries.length <= 3);
      seen.push(...body.entries);
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(seen.length, 7);
    assert.deepEqual(seen.map((e) => e.id), [...seen.map((e) => e.id)].sort((a, b) => b - a));
    assert.deepEqual(seen.map((e) => e.kind), ['gacha', 'gacha', 'gacha', 'gacha', 'gacha', 'gacha', 'adjustment']);
    assert.equal(seen[0]!.balanceAfter, 400);
    assert.equal(seen[0]!.amount, -100);
    assert.ok(seen[0]!.refId);
    // Each entry's balanceAfter is the previous one's plus its amount.
    for (let i = 0; i < seen.length - 1; i++) assert.equal(seen[i]!.balanceAfter, seen[i + 1]!.balanceAfter + seen[i]!.amount);
  });

  test('default limit is 20 and other users entries are never shown', async () => {
    const a = await t.createUser({ balance: 10_000 });
    const b = await t.createUser({ balance: 10_000 });
    for (let i = 0; i < 24; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/games/gacha/pull', headers: { ...bearer(a.accessToken), 'idempotency-key': randomUUID() }, payload: { count: 1 } });
      assert.equal(r.statusCode, 200);
    }
    const body = (await ledger(a.accessToken)).json() as { entries: Entry[]; nextCursor: string | null };
    assert.equal(body.entries.length, 20);
    assert.ok(body.nextCursor);
    const rest = (await ledger(a.accessToken, `?cursor=${body.nextCursor}&limit=100`)).json() as { entries: Entry[]; nextCursor: string | null };
    assert.equal(rest.entries.length, 5);
    assert.equal(rest.nextCursor, null);
    const other = (await ledger(b.accessToken)).json() as { entries: Entry[] };
    assert.deepEqual(other.entries.map((e) => e.kind), ['adjustment']);
  });

  test('bad limit or cursor gets 400 naming the parameter', async () => {
    const u = await t.createUser();
    for (const [qs, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?limit=1.5', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      ['?cursor=' + encodeURIComponent('***'), 'cursor'],
      ['?cursor=' + Buffer.from('le:-5').toString('base64url'), 'cursor'],
      ['?cursor=' + 'A'.repeat(300), 'cursor'],
    ] as const) {
      const res = await ledger(u.accessToken, qs);
      assert.equal(res.statusCode, 400, qs);
      assert.equal(res.json().error.field, field, qs);
    }
  });

  test('cursor round-trips and rejects foreign strings', () => {
    assert.equal(decodeCursor(encodeCursor(42)), 42);
    assert.throws(() => decodeCursor(Buffer.from('42').toString('base64url')), /cursor/);
  });
});

describe('ledger_entries is append-only', () => {
  test('UPDATE and DELETE are refused by the trigger', async () => {
    const u = await t.createUser({ balance: 50 });
    const db = t.server.ctx.db;
    await assert.rejects(db.query('UPDATE ledger_entries SET amount = 1000 WHERE user_id = $1', [u.id]), /append-only/);
    await assert.rejects(db.query('DELETE FROM ledger_entries WHERE user_id = $1', [u.id]), /append-only/);
    const r = await db.query<{ amount: number }>('SELECT amount FROM ledger_entries WHERE user_id = $1', [u.id]);
    assert.deepEqual(r.rows, [{ amount: 50 }]);
  });

  test('the balance CHECK refuses a negative balance even without the guard', async () => {
    const u = await t.createUser({ balance: 5 });
    await assert.rejects(t.server.ctx.db.query('UPDATE users SET balance = balance - 6 WHERE id = $1', [u.id]), /users_balance_non_negative/);
  });
});
