import type { z } from 'zod';
import type { Release } from '../store/index.js';

// Each strategy keeps its own typed state under its own key of release.data (canary, blueGreen,
// rolling), validated on read and merged field by field in SQL on write (ctx.updateState), so
// nothing is written whole from a stale copy and a control request's effect is never lost.

/** Reads a strategy's state; absent is null, malformed is an error naming the field. */
export function readState<T>(release: Pick<Release, 'id' | 'data'>, key: string, schema: z.ZodType<T>): T | null {
  const raw = release.data[key];
  if (raw === undefined || raw === null) return null;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`release ${release.id}: data.${key}.${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}
