import { z } from 'zod';

/** Serialized metadata is capped so one client cannot bloat the outbox or a Kafka message. */
export const MAX_METADATA_BYTES = 4096;

export const actionBody = z.object({
  actionType: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(/^[a-z0-9_.]+$/, 'must use only a-z, 0-9, "_" and "."'),
  metadata: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
    // PostgreSQL's jsonb cannot store U+0000; refuse it here rather than fail the insert.
    .refine((m) => !JSON.stringify(m).includes('\\u0000'), 'must not contain NUL (\\u0000) characters')
    .optional(),
});
