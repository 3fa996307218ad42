import type { AppContext, RelayStatus } from '../context.js';
import { createKafkaPublisher, type EventPublisher } from './kafka-publisher.js';
import { claimBatch, markFailed, markPublished, outboxStats } from './outbox-store.js';

export interface OutboxRelay {
  start(): void;
  /** Publishes what is pending (bounded by the timeout), then disconnects. */
  stop(timeoutMs: number): Promise<void>;
  status(): RelayStatus;
}

export interface RelayOptions {
  /** Defaults to Kafka at config.KAFKA_BROKER; without either the relay is disabled. */
  publisher?: EventPublisher;
  /** Longest wait between retries while Kafka is failing. */
  maxBackoffMs?: number;
}

/** 'more': a full batch went out, go again now; 'idle': caught up; 'error': back off. */
type TickResult = 'more' | 'idle' | 'error';

const PING_EVERY_MS = 5000;
const STATS_EVERY_MS = 5000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function disabledRelay(): OutboxRelay {
  return {
    start: () => undefined,
    stop: async () => undefined,
    status: () => ({ enabled: false, connected: false, lastError: null }),
  };
}

/**
 * Moves outbox rows to Kafka, at least once. A batch is claimed with FOR UPDATE SKIP LOCKED,
 * sent, and marked published in the same transaction; if the send fails the rows stay
 * unpublished (attempts and last_error record why) and the relay backs off and retries, so a
 * broker outage delays events but loses none and never blocks the API.
 */
export function createRelay(ctx: AppContext, opts: RelayOptions = {}): OutboxRelay {
  const { config, logger, metrics } = ctx;
  const log = logger.child({ component: 'outbox-relay' });
  if (!opts.publisher && !config.KAFKA_BROKER) return disabledRelay();
  const publisher =
    opts.publisher ?? createKafkaPublisher({ brokers: config.KAFKA_BROKER!, clientId: config.KAFKA_CLIENT_ID, topic: config.KAFKA_TOPIC, logger: log });
  const interval = config.OUTBOX_RELAY_INTERVAL_MS;
  const maxBackoff = opts.maxBackoffMs ?? 5000;

  let connected = false;
  let lastError: string | null = null;
  let failures = 0;
  let lastPing = Date.now();
  let lastStats = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<TickResult> | null = null;
  let started = false;
  let stopped = false;

  function onKafkaFailure(err: unknown): void {
    const msg = message(err);
    metrics.relayErrors.inc();
    failures += 1;
    if (connected || lastError !== msg) log.warn({ err: msg, failures }, 'kafka unavailable; events stay in the outbox');
    connected = false;
    lastError = msg;
    void publisher.disconnect();
  }

  async function ensureConnected(): Promise<boolean> {
    if (connected) return true;
    try {
      await publisher.connect();
    } catch (err) {
      onKafkaFailure(err);
      return false;
    }
    if (lastError) log.info({ afterFailures: failures }, 'kafka reachable again; relaying the backlog');
    else log.info('kafka relay connected');
    connected = true;
    lastError = null;
    failures = 0;
    lastPing = Date.now();
    return true;
  }

  async function refreshStats(force: boolean): Promise<void> {
    if (!force && Date.now() - lastStats < STATS_EVERY_MS) return;
    lastStats = Date.now();
    const s = await outboxStats(ctx.db).catch(() => null);
    if (!s) return;
    metrics.outboxPending.set(s.pending);
    metrics.outboxOldestAge.set(s.oldestAgeSeconds);
  }

  async function relayBatch(): Promise<TickResult> {
    const client = await ctx.db.connect();
    let result: TickResult;
    try {
      await client.query('BEGIN');
      const rows = await claimBatch(client, config.OUTBOX_BATCH_SIZE);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 'idle';
      }
      const ids = rows.map((r) => r.id);
      try {
        if (!(await ensureConnected())) throw new Error(lastError ?? 'kafka unavailable');
        await publisher.publish(rows.map((r) => ({ key: r.user_id, value: JSON.stringify(r.payload), eventId: r.event_id })));
        await markPublished(client, ids);
        result = rows.length >= config.OUTBOX_BATCH_SIZE ? 'more' : 'idle';
      } catch (err) {
        // ensureConnected already counted its own failure; a failed send is counted here.
        if (connected) onKafkaFailure(err);
        await markFailed(client, ids, lastError ?? message(err));
        result = 'error';
      }
      await client.query('COMMIT');
      if (result !== 'error') metrics.outboxPublished.inc(rows.length);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return result;
  }

  async function tick(): Promise<TickResult> {
    let result: TickResult;
    try {
      result = await relayBatch();
    } catch (err) {
      // The database, not Kafka, failed: the rows are untouched; try again later.
      log.warn({ err: message(err) }, 'outbox relay could not read the outbox');
      return 'error';
    }
    if (result === 'idle') {
      if (!connected) {
        result = (await ensureConnected()) ? 'idle' : 'error';
      } else if (Date.now() - lastPing >= PING_EVERY_MS) {
        lastPing = Date.now();
        await publisher.ping().catch((err: unknown) => onKafkaFailure(err));
        if (!connected) result = 'error';
      }
    }
    await refreshStats(result !== 'idle');
    return result;
  }

  function backoffMs(): number {
    const base = Math.max(interval, 100) * 2 ** Math.min(failures, 10);
    return Math.min(maxBackoff, base) * (0.75 + Math.random() * 0.5);
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      running = tick();
      void running.then((r) => {
        running = null;
        schedule(r === 'more' ? 0 : r === 'error' ? backoffMs() : interval);
      });
    }, delay);
  }

  async function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T | 'timeout'> {
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      t = setTimeout(() => resolve('timeout'), left);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      schedule(0);
    },
    async stop(timeoutMs) {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const deadline = Date.now() + timeoutMs;
      // Let the batch in flight finish, then flush what requests wrote while draining.
      let r: TickResult | 'timeout' = running ? await withDeadline(running, deadline) : 'idle';
      while (r !== 'timeout' && r !== 'error') {
        running = tick();
        r = await withDeadline(running, deadline);
        if (r === 'idle') break;
      }
      if (r === 'timeout') log.warn({ timeoutMs }, 'outbox flush timed out; the rest stays in the outbox for the next instance');
      await publisher.disconnect();
      // Disconnecting fails a send that was still waiting; give its transaction a moment to
      // finish so its pooled connection is back before the pool closes.
      if (running) await withDeadline(running, Date.now() + 1000);
      connected = false;
    },
    status: () => ({ enabled: true, connected, lastError }),
  };
}
