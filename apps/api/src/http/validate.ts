import type { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Parses request input at the boundary. The first issue becomes a 400 that names the field,
 * e.g. `bet: must be an integer`, so clients can point at the input at fault.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : where;
  throw new AppError('validation_failed', 400, `${field}: ${issue.message}`, { field, cause: result.error });
}
