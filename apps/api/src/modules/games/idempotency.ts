import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

const KEY_RE = /^[A-Za-z0-9_\-:.]{1,128}$/;

/** The request's Idempotency-Key header; every play must carry one so a retry is never charged twice. */
export function idempotencyKey(req: FastifyRequest): string {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined || raw === '') {
    throw new AppError('idempotency_key_required', 400, 'Idempotency-Key: header is required for every play (1-128 characters of A-Z a-z 0-9 _ - : .).', {
      field: 'Idempotency-Key',
    });
  }
  if (typeof raw !== 'string' || !KEY_RE.test(raw)) {
    throw new AppError('validation_failed', 400, 'Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 _ - : . (sent once).', {
      field: 'Idempotency-Key',
    });
  }
  return raw;
}

/**
 * Fingerprint of what was asked, taken from the validated input (so key order or extra fields
 * in the raw JSON do not matter). Reusing a key for a different request is refused.
 */
export function requestHash(game: string, input: Record<string, unknown>): string {
  return createHash('sha256').update(`${game}\n${JSON.stringify(input)}`).digest('base64url');
}
