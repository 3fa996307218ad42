import { AppError } from '../../errors.js';

// Ledger pages are keyed by entry id (newest first). The cursor is opaque to clients so the
// pagination key can change without breaking them.

const PREFIX = 'le:';

export function encodeCursor(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const m = /^le:([1-9]\d{0,15})$/.exec(text);
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new AppError('validation_failed', 400, 'cursor: is not a cursor this API returned', { field: 'cursor' });
  }
  return id;
}
