import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { AccessTokens } from '../src/auth/access-token.js';
import { startApi, waitFor } from './support/api-process.js';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';
import { TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-db.js';

// The real process (`npm run start:api`'s entry point) gets a real SIGTERM. The slow in-flight
// request is real too: a second connection holds a lock on the outbox table, so the INSERT
// behind POST /api/actions waits until the test lets it go.

describe('graceful shutdown on SIGTERM', () => {
  let db: TestDatabase;
  let mock: KafkaMock;
  let admin: pg.Client;
  let token: string;
  const children: ChildProcess[] = [];

  before(async () => {
    [db, mock] = await Promise.all([createTestDatabase(), startKafkaMock()]);
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const r = await admin.query<{ id: string }>("INSERT INTO users (nickname, password_hash) VALUES ('shutdown_u', 'x') RETURNING id");
    token = await new AccessTokens(TEST_JWT_SECRET, 900).sign({ sub: r.rows[0]!.id, nickname: 'shutdown_u', role: 'player', synthetic: false, sid: '00000000-0000-4000-8000-000000000001' });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await admin.end();
    await mock.stop();
    await db.drop();
  });

  /** Holds SHARE on outbox_events (INSERTs wait; reads and the relay's claims do not). */
  async function lockOutbox(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query('LOCK TABLE outbox_events IN SHARE MODE');
    return c;
  }

  const insertIsWaiting = async () => {
    const r = await admin.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE c.relname = 'outbox_events' AND NOT l.granted`,
    );
    return r.rows[0].n > 0;
  };

  const postAction = (url: string, actionType: string) =>
    fetch(`${url}/api/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ actionType }),
    });

  test('readiness turns 503 first, the in-flight request finishes, the relay flushes, exit 0', async () => {
    const api = await startApi({
      DATABASE_URL: db.url,
      KAFKA_BROKER: mock.broker,
      KAFKA_TOPIC: `shutdown_${randomBytes(3).toString('hex')}`,
      // Only the final flush can publish the in-flight event: the relay's next poll is far away.
      OUTBOX_RELAY_INTERVAL_MS: '60000',
      SHUTDOWN_DRAIN_DELAY_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    children.push(api.child);
    assert.equal((await fetch(`${api.url}/health/ready`)).status, 200);

    const lock = await lockOutbox();
    let inflight: Promise<Response>;
    try {
      inflight = postAction(api.url, 'page.view');
      await waitFor(insertIsWaiting, 10_000, 'the request to block on the lock');

      const sigtermAt = Date.now();
      api.child.kill('SIGTERM');
      let ready: Response | null = null;
      await waitFor(async () => {
        ready = await fetch(`${api.url}/health/ready`);
        return ready.status === 503;
      }, 2500, 'readiness to report 503 within the drain delay');
      assert.equal(((await ready!.json()) as { status: string }).status, 'draining');
      assert.equal((await fetch(`${api.url}/health/live`)).status, 200, 'liveness holds while draining');

      // Past the drain delay the server stops accepting; the request in flight must survive it.
      await new Promise((r) => setTimeout(r, 3000 - (Date.now() - sigtermAt) + 300));
      assert.equal(api.child.exitCode, null, 'the process waits for the in-flight request');
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }

    const res = await inflight;
    assert.equal(res.status, 202);
    const { eventId } = (await res.json()) as { eventId: string };
    const exit = await api.exited;
    assert.equal(exit.code, 0, JSON.stringify(api.logs.slice(-8)));

    const row = await admin.query('SELECT published_at, attempts FROM outbox_events WHERE event_id = $1', [eventId]);
    assert.equal(row.rows.length, 1);
    assert.notEqual(row.rows[0].published_at, null, 'the relay flushed the event written during the drain');
    // Exit 0 also means the pools closed: runApi exits 0 only once server.close() resolved.
    assert.ok(api.logs.some((l) => l['msg'] === 'shutting down' && l['signal'] === 'SIGTERM'));
  });

  test('a request that never finishes cannot hold shutdown past SHUTDOWN_TIMEOUT_MS', async () => {
    const api = await startApi({ DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: '2000' });
    children.push(api.child);
    const lock = await lockOutbox();
    try {
      const stuck = postAction(api.url, 'page.view').catch((err: unknown) => err);
      await waitFor(insertIsWaiting, 10_000, 'the request to block on the lock');
      const sigtermAt = Date.now();
      api.child.kill('SIGTERM');
      const exit = await api.exited;
      const took = exit.at - sigtermAt;
      assert.equal(exit.code, 1, 'a forced exit is not reported as clean');
      // Without the bound it would wait for the lock forever; the upper slack is for a loaded CI box.
      assert.ok(took >= 1900 && took < 10_000, `exited after ${took} ms`);
      assert.ok(api.logs.some((l) => l['msg'] === 'graceful shutdown timed out; exiting'));
      await stuck;
    } finally {
      await lock.query('ROLLBACK');
      await lock.end();
    }
  });
});
