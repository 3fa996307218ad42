import type { AppContext, RelayStatus } from '../context.js';
import { errorMessage, KafkaLink } from './kafka-link.js';
import { createKafkaPublisher, type EventPublisher } from './kafka-publisher.js';
import { outboxStats } from './outbox-store.js';
import { relayBatch, type TickResult } from './relay-batch.js';

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

const STATS_EVERY_MS = 5000;

function disabledRelay(): OutboxRelay {
  return {
    start: () => undefined,
    stop: async () => undefined,
    status: () => ({ enabled: false, connected: false, lastError: null }),
  };
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

/**
 * Moves outbox rows to Kafka, at least once (one batch: relay-batch.ts; the connection:
 * kafka-link.ts). This file is the loop: a tick relays a batch, then the next tick is
 * scheduled at once (more to send), after the interval (caught up) or after a jittered,
 * growing backoff (Kafka failing). A broker outage delays events but loses none and never
 * blocks the API.
 */
export function createRelay(ctx: AppContext, opts: RelayOptions = {}): OutboxRelay {
  const { config, logger, metrics } = ctx;
  const log = logger.child({ component: 'outbox-relay' });
  if (!opts.publisher && !config.KAFKA_BROKER) return disabledRelay();
  const publisher =
    opts.publisher ?? createKafkaPublisher({ brokers: config.KAFKA_BROKER!, clientId: config.KAFKA_CLIENT_ID, topic: config.KAFKA_TOPIC, logger: log });
  const link = new KafkaLink(publisher, log, metrics);
  const interval = config.OUTBOX_RELAY_INTERVAL_MS;
  const maxBackoff = opts.maxBackoffMs ?? 5000;

  let lastStats = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<TickResult> | null = null;
  let started = false;
  let stopped = false;

  async function refreshStats(force: boolean): Promise<void> {
    if (!force && Date.now() - lastStats < STATS_EVERY_MS) return;
    lastStats = Date.now();
    const s = await outboxStats(ctx.db).catch(() => null);
    if (!s) return;
    metrics.outboxPending.set(s.pending);
    metrics.outboxOldestAge.set(s.oldestAgeSeconds);
  }

  async function tick(): Promise<TickResult> {
    let result: TickResult;
    try {
      result = await relayBatch(ctx.db, link, metrics, config.OUTBOX_BATCH_SIZE);
    } catch (err) {
      // The database, not Kafka, failed: the rows are untouched; try again later.
      log.warn({ err: errorMessage(err) }, 'outbox relay could not read the outbox');
      return 'error';
    }
    if (result === 'idle' && !(await link.checkIdle())) result = 'error';
    await refreshStats(result !== 'idle');
    return result;
  }

  function backoffMs(): number {
    const base = Math.max(interval, 100) * 2 ** Math.min(link.failures, 10);
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

  /** Lets the batch in flight finish, then flushes what requests wrote while draining. */
  async function flush(deadline: number, timeoutMs: number): Promise<void> {
    let r: TickResult | 'timeout' = running ? await withDeadline(running, deadline) : 'idle';
    while (r !== 'timeout' && r !== 'error') {
      running = tick();
      r = await withDeadline(running, deadline);
      if (r === 'idle') break;
    }
    if (r === 'timeout') log.warn({ timeoutMs }, 'outbox flush timed out; the rest stays in the outbox for the next instance');
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
      await flush(Date.now() + timeoutMs, timeoutMs);
      await publisher.disconnect();
      // Disconnecting fails a send that was still waiting; give its transaction a moment to
      // finish so its pooled connection is back before the pool closes.
      if (running) await withDeadline(running, Date.now() + 1000);
      link.connected = false;
    },
    status: () => ({ enabled: true, connected: link.connected, lastError: link.lastError }),
  };
}
