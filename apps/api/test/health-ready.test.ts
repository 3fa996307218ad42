import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { Migrator } from '@cc/pg-migrate';
import { defaultMigrationsDir } from '../src/paths.js';
import { createTestApp } from './support/test-app.js';

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Ready {
  status: string;
  checks: {
    db: { status: string };
    redis: { status: string; error?: string };
    kafka: { status: string; error?: string };
    migrations: { status: string; current: number | null; expected: number };
  };
}

describe('health, readiness and version', () => {
  test('live is 200; ready is 200 with db, redis, kafka and migrations checks; /health is its alias', async () => {
    const t = await createTestApp({ env: { APP_VERSION: '1.4.2', APP_COMMIT: 'abc1234', APP_BUILT_AT: '2026-01-02T03:04:05Z' } });
    try {
      // Redis connects in the background after start; until then readiness says degraded.
      const until = Date.now() + 5000;
      while (t.server.ctx.redis?.status !== 'ready' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const live = await t.app.inject('/health/live');
      assert.equal(live.statusCode, 200);

      const ready = await t.app.inject('/health/ready');
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.headers['cache-control'], 'no-store');
      const body = ready.json() as Ready;
      assert.equal(body.status, 'ok');
      assert.equal(body.checks.db.status, 'ok');
      assert.equal(body.checks.redis.status, 'ok');
      assert.equal(body.checks.kafka.status, 'disabled');
      assert.equal(body.checks.migrations.status, 'ok');
      assert.equal(body.checks.migrations.current, body.checks.migrations.expected);
      assert.ok(body.checks.migrations.expected >= 1);

      const alias = await t.app.inject('/health');
      assert.equal(alias.statusCode, 200);
      assert.deepEqual(Object.keys(alias.json().checks).sort(), ['db', 'kafka', 'migrations', 'redis']);

      const version = await t.app.inject('/version');
      assert.equal(version.statusCode, 200);
      assert.deepEqual(version.json(), { version: '1.4.2', commit: 'abc1234', builtAt: '2026-01-02T03:04:05Z', schemaVersion: body.checks.migrations.expected });
    } finally {
      await t.close();
    }
  });

  test('ready is 503 while the schema is behind the build, and 200 again once migrated', async () => {
    const t = await createTestApp();
    try {
      const migrator = new Migrator({ databaseUrl: t.db.url, dir: defaultMigrationsDir() });
      await migrator.down(1);
      const behind = await t.app.inject('/health/ready');
      assert.equal(behind.statusCode, 503);
      const body = behind.json() as Ready;
      assert.equal(body.status, 'unavailable');
      assert.equal(body.checks.migrations.status, 'pending');
      assert.equal(body.checks.migrations.current, body.checks.migrations.expected - 1);
      assert.equal((await t.app.inject('/version')).json().schemaVersion, body.checks.migrations.expected - 1);
      // Liveness stays up: the process is fine, it must not be restarted for this.
      assert.equal((await t.app.inject('/health/live')).statusCode, 200);

      await migrator.up();
      assert.equal((await t.app.inject('/health/ready')).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('ready is 503 when PostgreSQL is gone', async () => {
    const t = await createTestApp();
    try {
      await t.db.drop(); // WITH (FORCE): the pool's connections are cut
      const res = await t.app.inject('/health/ready');
      assert.equal(res.statusCode, 503);
      const body = res.json() as Ready;
      assert.equal(body.status, 'unavailable');
      assert.equal(body.checks.db.status, 'down');
    } finally {
      await t.close();
    }
  });

  test('Redis unreachable: ready stays 200 but reports degraded', async () => {
    const t = await createTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${await deadPort()}` } });
    try {
      const res = await t.app.inject('/health/ready');
      assert.equal(res.statusCode, 200);
      const body = res.json() as Ready;
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.redis.status, 'down');
      assert.equal(body.checks.db.status, 'ok');
      const metrics = await t.server.metricsApp.inject('/metrics');
      assert.match(metrics.body, /^cc_api_dependency_up\{dependency="redis"\} 0$/m);
    } finally {
      await t.close();
    }
  });

  test('Kafka unreachable: ready stays 200 but reports degraded', async () => {
    const t = await createTestApp({ env: { KAFKA_BROKER: `127.0.0.1:${await deadPort()}`, OUTBOX_RELAY_INTERVAL_MS: '50' } });
    try {
      t.server.relay.start();
      const until = Date.now() + 15_000;
      while (!t.server.relay.status().lastError && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const res = await t.app.inject('/health/ready');
      assert.equal(res.statusCode, 200);
      const body = res.json() as Ready;
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.kafka.status, 'down');
      assert.match(body.checks.kafka.error ?? '', /ECONNREFUSED|connect/i);
    } finally {
      await t.close();
    }
  });

  test('ready is 503 while draining, live stays 200', async () => {
    const t = await createTestApp();
    try {
      t.server.ctx.lifecycle.draining = true;
      const res = await t.app.inject('/health/ready');
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().status, 'draining');
      assert.equal((await t.app.inject('/health/live')).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
