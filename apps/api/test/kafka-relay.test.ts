import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { createRelay, type OutboxRelay } from '../src/events/relay.js';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';

// Against librdkafka's mock cluster (a real Kafka-protocol broker, DESIGN §6).

interface Received {
  key: string | null;
  event: Record<string, unknown>;
}

/** A consumer group reading the topic from the beginning, collecting what arrives. */
async function collect(broker: string, topic: string): Promise<{ received: Received[]; waitFor(pred: () => boolean, ms: number): Promise<void>; stop(): Promise<void> }> {
  const kafka = new Kafka({ clientId: 'test-consumer', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomBytes(4).toString('hex')}`, allowAutoTopicCreation: true, maxWaitTimeInMs: 200 });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({ key: message.key?.toString() ?? null, event: JSON.parse(message.value!.toString()) as Record<string, unknown> });
    },
  });
  return {
    received,
    async waitFor(pred, ms) {
      const until = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > until) throw new Error(`timed out after ${ms} ms; received ${received.length} messages`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => consumer.disconnect(),
  };
}

async function waitUntil(pred: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function metricValue(t: TestApp, name: string): Promise<number> {
  const m = await t.server.ctx.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((sum, v) => sum + v.value, 0) ?? NaN;
}

async function postAction(t: TestApp, token: string, actionType: string, metadata?: Record<string, unknown>): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/actions', headers: bearer(token), payload: { actionType, ...(metadata ? { metadata } : {}) } });
  assert.equal(res.statusCode, 202, res.body);
  return (res.json() as { eventId: string }).eventId;
}

describe('outbox relay to Kafka', () => {
  let mock: KafkaMock;
  before(async () => {
    mock = await startKafkaMock();
  });
  after(async () => {
    await mock.stop();
  });

  test('events reach the topic keyed by user id, with the DESIGN §3 value, and are marked published', async () => {
    const topic = `actions_${randomBytes(3).toString('hex')}`;
    const t = await createTestApp({ env: { KAFKA_BROKER: mock.broker, KAFKA_TOPIC: topic, OUTBOX_RELAY_INTERVAL_MS: '50' } });
    const consumer = await collect(mock.broker, topic);
    try {
      t.server.relay.start();
      const alice = await t.createUser();
      const bob = await t.createUser();
      const ids = [
        await postAction(t, alice.accessToken, 'page.view', { page: 'lobby' }),
        await postAction(t, bob.accessToken, 'button.click'),
        await postAction(t, alice.accessToken, 'page.view', { page: 'slots', n: 2 }),
      ];
      await consumer.waitFor(() => ids.every((id) => consumer.received.some((r) => r.event['event_id'] === id)), 20_000);

      const byId = new Map(consumer.received.map((r) => [r.event['event_id'], r]));
      const first = byId.get(ids[0])!;
      assert.equal(first.key, alice.id);
      assert.deepEqual(Object.keys(first.event).sort(), ['action_timestamp', 'action_type', 'event_id', 'metadata', 'user_id']);
      assert.equal(first.event['user_id'], alice.id);
      assert.equal(first.event['action_type'], 'page.view');
      assert.deepEqual(first.event['metadata'], { page: 'lobby' });
      assert.ok(!Number.isNaN(Date.parse(String(first.event['action_timestamp']))));
      assert.equal(byId.get(ids[1])!.key, bob.id);
      assert.deepEqual(byId.get(ids[1])!.event['metadata'], {});

      await waitUntil(async () => {
        const r = await t.server.ctx.db.query('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL');
        return r.rows[0].n === 0;
      }, 5000, 'outbox drained');
      assert.ok((await metricValue(t, 'cc_api_outbox_published_total')) >= 3);
      assert.deepEqual(t.server.relay.status(), { enabled: true, connected: true, lastError: null });
      const ready = await t.app.inject('/health/ready');
      assert.equal(ready.json().checks.kafka.status, 'ok');
    } finally {
      await consumer.stop();
      await t.close();
    }
  });

  test('an action enqueued while the broker is down stays in the outbox and arrives once a broker is back', async () => {
    const topic = `actions_${randomBytes(3).toString('hex')}`;
    const t = await createTestApp({ env: { KAFKA_BROKER: `127.0.0.1:${await deadPort()}`, KAFKA_TOPIC: topic, OUTBOX_RELAY_INTERVAL_MS: '50' } });
    let replacement: OutboxRelay | null = null;
    let consumer: Awaited<ReturnType<typeof collect>> | null = null;
    try {
      t.server.relay.start();
      const user = await t.createUser();
      // The API keeps serving while Kafka is unreachable.
      const ids = [await postAction(t, user.accessToken, 'page.view', { step: 'while_down', i: 1 }), await postAction(t, user.accessToken, 'page.view', { step: 'while_down', i: 2 })];

      await waitUntil(async () => {
        const r = await t.server.ctx.db.query('SELECT min(attempts)::int AS a, bool_and(last_error IS NOT NULL) AS e FROM outbox_events WHERE event_id = ANY($1)', [ids]);
        return r.rows[0].a >= 1 && r.rows[0].e === true;
      }, 15_000, 'failed attempts recorded on the rows');
      const rows = await t.server.ctx.db.query('SELECT published_at FROM outbox_events WHERE event_id = ANY($1)', [ids]);
      assert.equal(rows.rows.length, 2);
      assert.ok(rows.rows.every((r) => r.published_at === null));
      assert.ok((await metricValue(t, 'cc_api_outbox_relay_errors_total')) >= 1);
      const status = t.server.relay.status();
      assert.equal(status.enabled, true);
      assert.equal(status.connected, false);
      assert.match(status.lastError ?? '', /ECONNREFUSED|connect/i);

      const ready = await t.app.inject('/health/ready');
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().status, 'degraded');
      assert.equal(ready.json().checks.kafka.status, 'down');
      const metrics = await t.server.metricsApp.inject('/metrics');
      assert.match(metrics.body, /^cc_api_outbox_pending 2$/m);
      assert.match(metrics.body, /^cc_api_outbox_relay_errors_total [1-9]\d*$/m);

      // The broker "comes back" (a fresh one); a relay pointed at it catches up.
      await t.server.relay.stop(1000);
      const ctx = t.server.ctx;
      replacement = createRelay({ ...ctx, config: { ...ctx.config, KAFKA_BROKER: mock.broker } });
      replacement.start();
      consumer = await collect(mock.broker, topic);
      await consumer.waitFor(() => ids.every((id) => consumer!.received.some((r) => r.event['event_id'] === id)), 20_000);
      await waitUntil(async () => {
        const r = await ctx.db.query('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL');
        return r.rows[0].n === 0;
      }, 5000, 'outbox drained');
      // Let any duplicate a retry could cause arrive before counting.
      await new Promise((r) => setTimeout(r, 500));
      const mine = consumer.received.filter((r) => ids.includes(String(r.event['event_id'])));
      const unique = new Map(mine.map((r) => [r.event['event_id'], r.event]));
      assert.equal(unique.size, ids.length, 'every event arrived');
      assert.deepEqual(
        [...unique.values()].map((e) => (e['metadata'] as { i: number }).i).sort(),
        [1, 2],
      );
      assert.ok(mine.every((r) => r.key === user.id));
    } finally {
      await consumer?.stop();
      await replacement?.stop(1000);
      await t.close();
    }
  });

  test('a broker that dies while the relay is connected: the send fails, nothing is lost, a new broker gets it', async () => {
    const doomed = await startKafkaMock();
    const topic = `actions_${randomBytes(3).toString('hex')}`;
    const t = await createTestApp({ env: { KAFKA_BROKER: doomed.broker, KAFKA_TOPIC: topic, OUTBOX_RELAY_INTERVAL_MS: '50' } });
    const ctx = t.server.ctx;
    let replacement: OutboxRelay | null = null;
    let consumer: Awaited<ReturnType<typeof collect>> | null = null;
    try {
      t.server.relay.start();
      const user = await t.createUser();
      const before = await postAction(t, user.accessToken, 'page.view', { step: 'before_crash' });
      await waitUntil(async () => {
        const r = await ctx.db.query('SELECT published_at FROM outbox_events WHERE event_id = $1', [before]);
        return r.rows[0]?.published_at != null;
      }, 15_000, 'the first event to be published');
      assert.equal(t.server.relay.status().connected, true);

      await doomed.stop();
      const errorsBefore = await metricValue(t, 'cc_api_outbox_relay_errors_total');
      const during = await postAction(t, user.accessToken, 'page.view', { step: 'during_outage' });
      await waitUntil(async () => {
        const r = await ctx.db.query('SELECT attempts, last_error, published_at FROM outbox_events WHERE event_id = $1', [during]);
        return r.rows[0].attempts >= 1 && r.rows[0].last_error !== null;
      }, 20_000, 'the failed send to be recorded');
      const row = await ctx.db.query('SELECT published_at FROM outbox_events WHERE event_id = $1', [during]);
      assert.equal(row.rows[0].published_at, null);
      assert.ok((await metricValue(t, 'cc_api_outbox_relay_errors_total')) > errorsBefore);
      assert.equal(t.server.relay.status().connected, false);

      await t.server.relay.stop(1000);
      replacement = createRelay({ ...ctx, config: { ...ctx.config, KAFKA_BROKER: mock.broker } });
      replacement.start();
      consumer = await collect(mock.broker, topic);
      await consumer.waitFor(() => consumer!.received.some((r) => r.event['event_id'] === during), 20_000);
      await new Promise((r) => setTimeout(r, 300));
      const ids = new Set(consumer.received.map((r) => r.event['event_id']));
      assert.deepEqual([...ids], [during], 'only the unpublished event is relayed; the published one is not sent again');
    } finally {
      await consumer?.stop();
      await replacement?.stop(1000);
      await t.close();
      await doomed.stop();
    }
  });

  test('two relays on one database publish every event exactly once (SKIP LOCKED)', async () => {
    const topic = `actions_${randomBytes(3).toString('hex')}`;
    const t = await createTestApp({ env: { KAFKA_BROKER: mock.broker, KAFKA_TOPIC: topic, OUTBOX_RELAY_INTERVAL_MS: '10', OUTBOX_BATCH_SIZE: '7' } });
    const ctx = t.server.ctx;
    const second = createRelay(ctx);
    const consumer = await collect(mock.broker, topic);
    try {
      const user = await t.createUser();
      await ctx.db.query(
        `WITH e AS (SELECT gen_random_uuid() AS id, g FROM generate_series(1, 150) g)
         INSERT INTO outbox_events (event_id, user_id, action_type, payload)
         SELECT e.id, $1::uuid, 'bulk', jsonb_build_object('event_id', e.id, 'user_id', $1::text, 'action_type', 'bulk',
                'action_timestamp', now(), 'metadata', jsonb_build_object('n', e.g))
           FROM e ORDER BY e.g`,
        [user.id],
      );
      t.server.relay.start();
      second.start();
      await consumer.waitFor(() => consumer.received.length >= 150, 30_000);
      await waitUntil(async () => {
        const r = await ctx.db.query('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL');
        return r.rows[0].n === 0;
      }, 5000, 'outbox drained');
      await new Promise((r) => setTimeout(r, 500));
      const ids = consumer.received.map((r) => r.event['event_id']);
      assert.equal(ids.length, 150, 'no event was sent twice');
      assert.equal(new Set(ids).size, 150);
      const attempts = await ctx.db.query('SELECT max(attempts)::int AS a FROM outbox_events');
      assert.equal(attempts.rows[0].a, 1);
    } finally {
      await consumer.stop();
      await second.stop(1000);
      await t.close();
    }
  });
});
