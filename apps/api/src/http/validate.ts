import type { z } from 'zod';
import { AppError } from '../errors.js';

// PostgreSQL text and jsonb cannot hold U+0000, and a lone UTF-16 surrogate (half of a pair)
// is not valid UTF-8 at all: either fails the query with 22P02/22P05, a 500 that any client
// could repeat to raise the error rate a canary is judged on. Refused here, by field.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const MAX_DEPTH = 32;

/** Path of the first string (value or key) PostgreSQL could not store, or null. */
export function unstorableText(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unstorableText(value[i], [...path, i], depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (UNSTORABLE.test(k)) return [...path, k];
    const bad = unstorableText(v, [...path, k], depth + 1);
    if (bad) return bad;
  }
  return null;
}

function fieldName(path: (string | number)[], where: string): string {
  // A key that is itself unstorable would garble the field name; name it by position instead.
  return path.length ? path.map((p) => (typeof p === 'string' && UNSTORABLE.test(p) ? '(key)' : String(p))).join('.') : where;
}

/**
 * Parses request input at the boundary. The first issue becomes a 400 that names the field,
 * e.g. `bet: must be an integer`, so clients can point at the input at fault.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : where;
    throw new AppError('validation_failed', 400, `${field}: ${issue.message}`, { field, cause: result.error });
  }
  const bad = unstorableText(result.data);
  if (bad) {
    const field = fieldName(bad, where);
    throw new AppError('validation_failed', 400, `${field}: must not contain NUL characters or unpaired UTF-16 surrogates`, { field });
  }
  return result.data;
}
