import pg from 'pg';
import { check, fromChecks, withTimeout, type CheckOutcome, type Gate } from './types.js';
import { checkWalArchive } from './wal-archive.js';

// Connectivity (seed I.2): each service the app needs answers within the timeout and reports
// what a deploy depends on, and WAL archiving works where PITR is configured (wal-archive.ts).
// Hosts are named without credentials.

const hostOf = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '(default port)'}`;
  } catch {
    return '(unparseable URL)';
  }
};

export async function checkPostgres(url: string, timeoutMs: number): Promise<CheckOutcome> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await withTimeout(timeoutMs, 'connect', client.connect());
    const r = await withTimeout(timeoutMs, 'query', client.query<{ version: string; max: number; reserved: number; used: number }>(
      `SELECT current_setting('server_version') AS version, current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS reserved, (SELECT count(*)::int FROM pg_stat_activity) AS used`,
    ));
    const row = r.rows[0]!;
    const free = row.max - row.reserved - row.used;
    const version = row.version.split(' ')[0]!;
    const evidence = { host: hostOf(url), version: row.version, maxConnections: row.max, reserved: row.reserved, used: row.used, free };
    return free > 0
      ? check('postgresql', 'pass', `PostgreSQL ${version} at ${evidence.host}, ${free} of ${row.max} connections free`, evidence)
      : check('postgresql', 'fail', `PostgreSQL ${version} at ${evidence.host} has no free connections (${row.used} used of ${row.max})`, evidence);
  } catch (err) {
    return check('postgresql', 'fail', `${hostOf(url)} unreachable: ${(err as Error).message}`, { host: hostOf(url) });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(url: string, timeoutMs: number): Promise<CheckOutcome> {
  // client libraries load with the gate that uses them, not with every ccr command
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // connect() only says "Connection is closed."; the socket's own error says why
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => { lastError = err; });
  try {
    await withTimeout(timeoutMs, 'connect', redis.connect());
    const pong = await withTimeout(timeoutMs, 'PING', redis.ping());
    const info = await withTimeout(timeoutMs, 'INFO persistence', redis.info('persistence'));
    const field = (k: string) => info.match(new RegExp(`^${k}:(.*)$`, 'm'))?.[1]?.trim() ?? null;
    // CONFIG may be renamed or disabled on managed Redis; INFO is enough then.
    const save = await redis.config('GET', 'save').then((r) => (r as string[])[1] ?? null, () => null);
    const persistence = {
      aofEnabled: field('aof_enabled') === '1',
      rdbSave: save,
      rdbLastBgsaveStatus: field('rdb_last_bgsave_status'),
      rdbChangesSinceLastSave: Number(field('rdb_changes_since_last_save') ?? NaN),
      loading: field('loading') === '1',
    };
    const mode = persistence.aofEnabled ? 'AOF on' : persistence.rdbSave ? `RDB save "${persistence.rdbSave}"` : 'no persistence';
    const evidence = { host: hostOf(url), ping: pong, persistence };
    if (persistence.rdbLastBgsaveStatus && persistence.rdbLastBgsaveStatus !== 'ok') {
      return check('redis', 'fail', `Redis at ${evidence.host} answers ${pong} but its last background save failed (${persistence.rdbLastBgsaveStatus})`, evidence);
    }
    return check('redis', 'pass', `Redis at ${evidence.host} answers ${pong}; persistence: ${mode}`, evidence);
  } catch (err) {
    const why = (lastError as Error | null)?.message ?? (err as Error).message;
    return check('redis', 'fail', `${hostOf(url)} unreachable: ${why}`, { host: hostOf(url) });
  } finally {
    redis.disconnect();
  }
}

export async function checkKafka(brokers: string, topic: string, timeoutMs: number): Promise<CheckOutcome> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'ccr-preflight', brokers: brokers.split(','), connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await withTimeout(timeoutMs, 'connect', admin.connect());
    const cluster = await withTimeout(timeoutMs, 'describeCluster', admin.describeCluster());
    const topics = await withTimeout(timeoutMs, 'listTopics', admin.listTopics());
    const evidence: Record<string, unknown> = { brokers: cluster.brokers.map((b) => `${b.host}:${b.port}`), controller: cluster.controller, topic };
    if (!topics.includes(topic)) return check('kafka', 'fail', `${cluster.brokers.length} broker(s) answer, but topic ${topic} does not exist`, { ...evidence, topics: topics.slice(0, 50) });
    const meta = await withTimeout(timeoutMs, 'fetchTopicMetadata', admin.fetchTopicMetadata({ topics: [topic] }));
    const partitions = meta.topics[0]?.partitions ?? [];
    const leaderless = partitions.filter((p) => p.leader < 0).length;
    Object.assign(evidence, { partitions: partitions.length, leaderless });
    if (!partitions.length || leaderless) return check('kafka', 'fail', `topic ${topic} has ${partitions.length} partition(s), ${leaderless} without a leader`, evidence);
    return check('kafka', 'pass', `${cluster.brokers.length} broker(s); topic ${topic} has ${partitions.length} partition(s), all led`, evidence);
  } catch (err) {
    return check('kafka', 'fail', `${brokers} unreachable: ${(err as Error).message}`, { brokers });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export const connectivityGate: Gate = async (input) => {
  const t = input.gates.connectTimeout;
  const e = input.env;
  const missing = (name: string, key: string) => check(name, 'cannot-check', `no ${key} is configured for ${input.envName}`);
  const checks = await Promise.all([
    e.databaseUrl ? checkPostgres(e.databaseUrl, t) : missing('postgresql', 'databaseUrl'),
    e.redisUrl ? checkRedis(e.redisUrl, t) : missing('redis', 'redisUrl'),
    e.kafkaBroker ? checkKafka(e.kafkaBroker, input.gates.kafkaTopic, t) : missing('kafka', 'kafkaBroker'),
    checkWalArchive(input.envName, e, input.paths, t),
  ]);
  return fromChecks(checks);
};
