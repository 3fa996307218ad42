import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  /** Comma-separated host:port list, as in KAFKA_BROKER. */
  brokers: string;
  clientId: string;
  logger: Logger;
}

/** The same message repeats on every retry while a broker is down; log it once per window. */
const REPEAT_WINDOW_MS = 30_000;

/**
 * Routes KafkaJS's own logging into pino at warn level. KafkaJS logs an error for every failed
 * connection attempt, so identical messages are collapsed to keep an outage from flooding logs;
 * the relay logs its own state changes.
 */
function pinoLogCreator(logger: Logger): logCreator {
  const lastSeen = new Map<string, number>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      if (level > logLevel.WARN) return;
      const { message, timestamp: _ts, ...extra } = log;
      const key = `${namespace}:${message}`;
      const now = Date.now();
      if (now - (lastSeen.get(key) ?? 0) < REPEAT_WINDOW_MS) return;
      if (lastSeen.size > 200) lastSeen.clear();
      lastSeen.set(key, now);
      logger.warn({ kafka: namespace, kafkaLevel: level === logLevel.ERROR ? 'error' : 'warn', ...extra }, `kafkajs: ${message}`);
    };
}

export function parseBrokers(brokers: string): string[] {
  return brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * A KafkaJS client tuned to fail fast: the relay has its own backoff and must never block
 * shutdown behind KafkaJS's default retries (which can take half a minute against a dead broker).
 */
export function createKafkaClient(opts: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: parseBrokers(opts.brokers),
    connectionTimeout: 1500,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(opts.logger.child({ component: 'kafka' })),
  });
}
