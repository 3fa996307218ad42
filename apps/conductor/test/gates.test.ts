import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKafkaMock, type KafkaMock } from '../../api/test/support/kafka-mock.js';
import { runGate } from '../src/gates/index.js';
import { checkKafka, checkPostgres, checkRedis } from '../src/gates/connectivity.js';
import { checkPrometheus, parseSentryDsn } from '../src/gates/monitoring.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { ADMIN_URL } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Target-environment gates against real services: the configuration rules (shared with the
// API), PostgreSQL and Redis of this machine, librdkafka's mock broker, closed ports, and a
// real Prometheus (Debian's binary) scraping a tiny metrics server and a dead target.

const dir = tempDir('ccr-gates-');
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const STRONG = 'Zq8vN3xL0pW5rT7yB2mK9cH4jF6dS1aE-strong-enough';

async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('configuration and secrets', () => {
  const env = { appEnv: 'production', databaseUrl: 'postgres://cc:Xk29-unique-Pw@db.internal:5432/cc', redisUrl: 'redis://cache.internal:6379', kafkaBroker: 'kafka-1.internal:9092' };

  test('complete production settings with a strong secret pass, and no value is printed', async () => {
    const out = await runGate('config', gateInput({ env, gates: { settings: { JWT_SECRET: STRONG, SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/42' } } }));
    assert.equal(out.result, 'pass', out.summary);
    const text = JSON.stringify(out);
    assert.match(text, /JWT_SECRET: set, 46 bytes/);
    for (const secret of [STRONG, 'Xk29-unique-Pw', 'abc123']) assert.ok(!text.includes(secret), `${secret} leaked into the evidence`);
  });

  test('a missing JWT secret fails, naming the setting', async () => {
    const out = await runGate('config', gateInput({ env }));
    assert.equal(out.result, 'fail');
    assert.match(out.summary, /JWT_SECRET: is missing \(required in production mode\)/);
  });

  test('the API\'s own weakness rules: a development secret, a default database password, a bad broker', async () => {
    const out = await runGate('config', gateInput({
      env: { ...env, databaseUrl: 'postgres://postgres:postgres@db:5432/cc', kafkaBroker: 'kafka://broker' },
      gates: { settings: { JWT_SECRET: 'dev-only-insecure-jwt-secret-do-not-use-in-production' } },
    }));
    assert.equal(out.result, 'fail');
    assert.match(out.summary, /JWT_SECRET: is a known default or development value/);
    assert.match(out.summary, /DATABASE_URL: carries a default password/);
    assert.match(out.summary, /KAFKA_BROKER: is not host:port/);
    assert.ok(!JSON.stringify(out).includes('postgres:postgres'));
  });

  test('a staging environment is still checked in production mode', async () => {
    const out = await runGate('config', gateInput({ env: { appEnv: 'staging', databaseUrl: env.databaseUrl } }));
    assert.match(out.summary, /REDIS_URL: is missing.*KAFKA_BROKER: is missing.*JWT_SECRET: is missing/);
  });
});

describe('connectivity', () => {
  let kafka: KafkaMock;
  before(async () => {
    kafka = await startKafkaMock();
  });
  after(async () => {
    await kafka.stop();
  });

  test('PostgreSQL: version and free connections; a closed port fails within the timeout', async () => {
    const ok = await checkPostgres(ADMIN_URL, 5000);
    assert.equal(ok.result, 'pass', ok.detail);
    assert.match(ok.detail, /^PostgreSQL 15\.\d+ at 127\.0\.0\.1:5432, \d+ of \d+ connections free$/);
    const port = await closedPort();
    const bad = await checkPostgres(`postgres://postgres:secret-pw@127.0.0.1:${port}/postgres`, 2000);
    assert.equal(bad.result, 'fail');
    assert.match(bad.detail, new RegExp(`127\\.0\\.0\\.1:${port} unreachable`));
    assert.ok(!JSON.stringify(bad).includes('secret-pw'));
  });

  test('Redis: PING and persistence reported; an unreachable Redis (closed port) fails', async () => {
    const ok = await checkRedis(REDIS_URL, 5000);
    assert.equal(ok.result, 'pass', ok.detail);
    assert.match(ok.detail, /answers PONG; persistence: (AOF on|RDB save "[^"]*"|no persistence)/);
    assert.equal(typeof (ok.evidence!['persistence'] as { aofEnabled: boolean }).aofEnabled, 'boolean');
    const port = await closedPort();
    const started = Date.now();
    const bad = await checkRedis(`redis://127.0.0.1:${port}`, 2000);
    assert.equal(bad.result, 'fail');
    assert.match(bad.detail, /unreachable: .*ECONNREFUSED/);
    assert.ok(Date.now() - started < 5000, 'gave up within its timeout');
  });

  test('Kafka: brokers and the topic\'s partitions; a missing topic fails', async () => {
    const ok = await checkKafka(kafka.broker, 'warmup', 5000);
    assert.equal(ok.result, 'pass', ok.detail);
    assert.match(ok.detail, /^1 broker\(s\); topic warmup has \d+ partition\(s\), all led$/);
    const missing = await checkKafka(kafka.broker, 'topic_that_is_not_there', 5000);
    assert.equal(missing.result, 'fail');
    assert.match(missing.detail, /topic topic_that_is_not_there does not exist/);
  });

  test('the gate runs all four; an unreachable Redis fails it; an unconfigured service or PITR cannot be checked', async () => {
    const port = await closedPort();
    const out = await runGate('connectivity', gateInput({ env: { databaseUrl: ADMIN_URL, redisUrl: `redis://127.0.0.1:${port}`, kafkaBroker: kafka.broker }, gates: { kafkaTopic: 'warmup', connectTimeout: '2s' } }));
    assert.equal(out.result, 'fail');
    assert.deepEqual(out.checks.map((c) => [c.name, c.result]), [['postgresql', 'pass'], ['redis', 'fail'], ['kafka', 'pass'], ['wal-archive', 'cannot-check']]);
    const partial = await runGate('connectivity', gateInput({ env: { databaseUrl: ADMIN_URL, redisUrl: REDIS_URL } }));
    assert.equal(partial.result, 'cannot-check');
    assert.match(partial.summary, /kafka: no kafkaBroker is configured for t; wal-archive: no pitr is configured for t/);
  });
});

describe('monitoring with a real Prometheus', () => {
  let prom: ChildProcess;
  let promUrl = '';
  let metrics: Server;

  before(async () => {
    metrics = createHttpServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end('# HELP cc_up test\n# TYPE cc_up gauge\ncc_up 1\n');
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const appPort = (metrics.address() as AddressInfo).port;
    const deadPort = await closedPort();
    writeFileSync(join(dir, 'rules.yml'), `groups:
  - name: cc-webapp
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 1m
        labels: { severity: page }
      - alert: HighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) > 1
        for: 5m
`);
    writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [${join(dir, 'rules.yml')}]
scrape_configs:
  - job_name: cc-api
    static_configs: [{ targets: ['127.0.0.1:${appPort}'] }]
  - job_name: cc-api-dead
    static_configs: [{ targets: ['127.0.0.1:${deadPort}'] }]
`);
    const port = await closedPort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn('/usr/bin/prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`], { stdio: 'ignore' });
    // ready, and both jobs scraped at least once
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
        if (r.data.activeTargets.length === 2 && r.data.activeTargets.every((t) => t.health !== 'unknown')) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('Prometheus did not scrape both targets within 30 s');
      await sleep(250);
    }
  });
  after(async () => {
    prom?.kill('SIGTERM');
    await new Promise((resolve) => metrics.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('reachable, the app\'s target up, alert rules loaded: pass', async () => {
    const checks = await checkPrometheus({ url: promUrl, job: 'cc-api', rules: ['InstanceDown', 'HighErrorRate'], timeoutMs: 5000 });
    assert.deepEqual(checks.map((c) => [c.name, c.result]), [['prometheus', 'pass'], ['targets', 'pass'], ['alert-rules', 'pass']]);
    assert.match(checks[2]!.detail, /2 alert rule\(s\) loaded, including the 2 required/);
  });

  test('the app\'s target down fails, with Prometheus\'s scrape error', async () => {
    const checks = await checkPrometheus({ url: promUrl, job: 'cc-api-dead', rules: [], timeoutMs: 5000 });
    const targets = checks.find((c) => c.name === 'targets')!;
    assert.equal(targets.result, 'fail');
    assert.match(targets.detail, /1 of 1 target\(s\) of job "cc-api-dead" not up: 127\.0\.0\.1:\d+ down \(.*connection refused\)/);
  });

  test('a required rule that is not loaded, or an unknown job, fails', async () => {
    const checks = await checkPrometheus({ url: promUrl, job: 'cc-router', rules: ['BackupFailed'], timeoutMs: 5000 });
    assert.match(checks.find((c) => c.name === 'targets')!.detail, /no target of job "cc-router"/);
    assert.match(checks.find((c) => c.name === 'alert-rules')!.detail, /alert rule\(s\) not loaded: BackupFailed \(2 loaded\)/);
  });

  test('the gate with the Sentry DSN: pass; a DSN without a project fails; no Prometheus at the URL fails', async () => {
    const input = (job: string, dsn: string, url = promUrl) => gateInput({ gates: { prometheus: { url, job }, settings: { SENTRY_DSN: dsn } } });
    const ok = await runGate('monitoring', input('cc-api', 'https://0123abcd@o99.ingest.sentry.io/4501'));
    assert.equal(ok.result, 'pass', ok.summary);
    assert.ok(!JSON.stringify(ok).includes('0123abcd'), 'the DSN key is not shown');
    const down = await runGate('monitoring', input('cc-api-dead', 'https://0123abcd@o99.ingest.sentry.io/4501'));
    assert.equal(down.result, 'fail');
    assert.match(down.summary, /targets: 1 of 1 target/);
    const badDsn = await runGate('monitoring', input('cc-api', 'https://o99.ingest.sentry.io/'));
    assert.match(badDsn.summary, /sentry: SENTRY_DSN has no public key/);
    const gone = await runGate('monitoring', input('cc-api', 'https://k@s.io/1', `http://127.0.0.1:${await closedPort()}`));
    assert.match(gone.summary, /prometheus: Prometheus at .* unreachable/);
  });

  test('Sentry DSN parsing', () => {
    assert.deepEqual(parseSentryDsn('https://key@sentry.example.com:9000/path/17'), { host: 'sentry.example.com:9000', projectId: '17' });
    assert.equal(parseSentryDsn('not a url'), 'is not a URL');
    assert.equal(parseSentryDsn('https://key@sentry.example.com/abc'), 'does not end in a numeric project id');
  });
});
