import { Partitioners, type Admin, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafkaClient } from './kafka-client.js';

export interface OutboxMessage {
  /** Partition key: the user id, so one user's events keep their order. */
  key: string | null;
  /** The event JSON (DESIGN §3): event_id, user_id, action_type, action_timestamp, metadata. */
  value: string;
  eventId: string;
}

/** Where the relay sends events. Kafka in production; the narrow shape keeps the relay testable. */
export interface EventPublisher {
  /** Connects (a no-op when connected); rejects when no broker answers. */
  connect(): Promise<void>;
  /** Sends every message acknowledged by all in-sync replicas (acks -1); rejects if any fails. */
  publish(messages: OutboxMessage[]): Promise<void>;
  /** A cheap round trip, so an idle relay still notices a broker that went away. */
  ping(): Promise<void>;
  /** Drops connections; the next connect() starts afresh. Never rejects. */
  disconnect(): Promise<void>;
}

const SEND_TIMEOUT_MS = 5000;

export function createKafkaPublisher(opts: { brokers: string; clientId: string; topic: string; logger: Logger }): EventPublisher {
  const kafka = createKafkaClient(opts);
  let producer: Producer | null = null;
  let admin: Admin | null = null;
  let topicChecked = false;

  async function ensureTopic(a: Admin): Promise<void> {
    if (topicChecked) return;
    try {
      // Best-effort: brokers with auto-creation (and the mock cluster) create it on first use,
      // and an operator may have created it with its own settings, which we must not fight.
      const created = await a.createTopics({ topics: [{ topic: opts.topic }], waitForLeaders: true, timeout: 3000 });
      if (created) opts.logger.info({ topic: opts.topic }, 'kafka topic created');
    } catch (err) {
      opts.logger.debug({ topic: opts.topic, err: (err as Error).message }, 'kafka createTopics failed; relying on auto-creation');
    }
    topicChecked = true;
  }

  const publisher: EventPublisher = {
    async connect() {
      if (producer && admin) return;
      // Fresh instances on every connect: a KafkaJS client that failed mid-flight can keep stale
      // broker metadata, and a new one costs little next to a broker outage.
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, idempotent: false });
      const a = kafka.admin();
      try {
        await p.connect();
        await a.connect();
      } catch (err) {
        await Promise.allSettled([p.disconnect(), a.disconnect()]);
        throw err;
      }
      producer = p;
      admin = a;
      await ensureTopic(a);
    },
    async publish(messages) {
      if (!producer) throw new Error('kafka producer is not connected');
      await producer.send({
        topic: opts.topic,
        acks: -1,
        timeout: SEND_TIMEOUT_MS,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { event_id: m.eventId } })),
      });
    },
    async ping() {
      if (!admin) throw new Error('kafka admin is not connected');
      await admin.fetchTopicMetadata({ topics: [opts.topic] });
    },
    async disconnect() {
      const p = producer;
      const a = admin;
      producer = null;
      admin = null;
      await Promise.allSettled([p?.disconnect(), a?.disconnect()]);
    },
  };
  return publisher;
}
