import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { ActionType } from './action-types.js';

// Events are written in the caller's transaction, so an action is recorded exactly when the
// change it describes commits. The relay publishes them to Kafka afterwards (at least once).

export interface UserActionEvent {
  event_id: string;
  user_id: string | null;
  action_type: ActionType;
  action_timestamp: string;
  metadata: Record<string, unknown>;
}

type Queryable = Pick<PoolClient, 'query'>;

export async function enqueueAction(
  db: Queryable,
  action: { userId: string | null; actionType: ActionType; metadata?: Record<string, unknown> },
): Promise<UserActionEvent> {
  const event: UserActionEvent = {
    event_id: randomUUID(),
    user_id: action.userId,
    action_type: action.actionType,
    action_timestamp: new Date().toISOString(),
    metadata: action.metadata ?? {},
  };
  await db.query('INSERT INTO outbox_events (event_id, user_id, action_type, payload) VALUES ($1, $2, $3, $4)', [
    event.event_id,
    event.user_id,
    event.action_type,
    event,
  ]);
  return event;
}
