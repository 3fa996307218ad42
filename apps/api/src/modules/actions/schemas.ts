import { z } from 'zod';
import { CLIENT_ACTION_TYPES } from '../../events/action-types.js';

/** Serialized metadata is capped so one client cannot bloat the outbox or a Kafka message. */
export const MAX_METADATA_BYTES = 4096;

export const actionBody = z.object({
  // An allowlist, not a pattern: a client must not forge the server's own events (login,
  // play_slots, ...) into the stream that consumers trust.
  actionType: z.enum(CLIENT_ACTION_TYPES, {
    error: `must be one of ${CLIENT_ACTION_TYPES.join(', ')} (the server records logins, plays and rewards itself)`,
  }),
  metadata: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
    // PostgreSQL's jsonb cannot store U+0000; refuse it here rather than fail the insert.
    .refine((m) => !JSON.stringify(m).includes('\\u0000'), 'must not contain NUL (\\u0000) characters')
    .optional(),
});
