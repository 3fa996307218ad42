import type pg from 'pg';
import type { Metrics } from '../ops/metrics.js';
import { errorMessage, type KafkaLink } from './kafka-link.js';
import { claimBatch, markFailed, markPublished } from './outbox-store.js';

/** 'more': a full batch went out, go again now; 'idle': caught up; 'error': back off. */
export type TickResult = 'more' | 'idle' | 'error';

/**
 * Relays one batch in one transaction: claimed with FOR UPDATE SKIP LOCKED, sent, and marked
 * published; when the send fails the rows stay unpublished with attempts and last_error
 * saying why. A database failure rejects (the rows are untouched); a Kafka failure is 'error'.
 */
export async function relayBatch(db: pg.Pool, link: KafkaLink, metrics: Metrics, batchSize: number): Promise<TickResult> {
  const client = await db.connect();
  let result: TickResult;
  try {
    await client.query('BEGIN');
    const rows = await claimBatch(client, batchSize);
    if (rows.length === 0) {
      await client.query('COMMIT');
      return 'idle';
    }
    const ids = rows.map((r) => r.id);
    try {
      if (!(await link.ensureConnected())) throw new Error(link.lastError ?? 'kafka unavailable');
      await link.publisher.publish(rows.map((r) => ({ key: r.user_id, value: JSON.stringify(r.payload), eventId: r.event_id })));
      await markPublished(client, ids);
      result = rows.length >= batchSize ? 'more' : 'idle';
    } catch (err) {
      // ensureConnected already counted its own failure; a failed send is counted here.
      if (link.connected) link.fail(err);
      await markFailed(client, ids, link.lastError ?? errorMessage(err));
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
