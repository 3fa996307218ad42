import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { withTransaction } from '../../db/pool.js';
import type { UserRow } from './users.js';

// Refresh tokens are opaque random strings; only their sha256 is stored, so a database leak
// yields no usable token. A family is one login: rotation keeps the family, and presenting a
// token that was already rotated means someone holds a copy, so the whole family is revoked.

type Queryable = Pick<PoolClient, 'query'>;

const TOKEN_BYTES = 32;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Issues a new token in `familyId` (a new family when omitted) and returns the plain token. */
export async function issueRefreshToken(
  tx: Queryable,
  opts: { userId: string; ttlDays: number; familyId?: string },
): Promise<{ token: string; familyId: string }> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const familyId = opts.familyId ?? randomUUID();
  await tx.query(
    `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(days => $4))`,
    [opts.userId, familyId, hashRefreshToken(token), opts.ttlDays],
  );
  return { token, familyId };
}

export type RotateResult =
  | { kind: 'rotated'; user: UserRow; token: string; familyId: string }
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'reused'; userId: string; familyId: string };

async function revokeFamily(tx: Queryable, familyId: string): Promise<void> {
  await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
}

/**
 * Swaps a refresh token for a new one in the same family. The row lock serialises concurrent
 * refreshes of one token: the second waits, then sees rotated_at set and is treated as reuse.
 * Reuse is committed (the family stays revoked) and reported as a result, not thrown, because
 * throwing would roll the revocation back.
 */
export async function rotateRefreshToken(db: pg.Pool, token: string, ttlDays: number): Promise<RotateResult> {
  return withTransaction(db, async (tx) => {
    const r = await tx.query<{
      id: string;
      family_id: string;
      user_id: string;
      expired: boolean;
      spent: boolean;
      nickname: string;
      role: 'player' | 'admin';
      synthetic: boolean;
    }>(
      `SELECT rt.id, rt.family_id, rt.user_id, rt.expires_at <= now() AS expired,
              (rt.rotated_at IS NOT NULL OR rt.revoked_at IS NOT NULL) AS spent,
              u.nickname, u.role, u.synthetic
         FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id
        WHERE rt.token_hash = $1
        FOR UPDATE OF rt`,
      [hashRefreshToken(token)],
    );
    const row = r.rows[0];
    if (!row) return { kind: 'unknown' };
    if (row.spent) {
      await revokeFamily(tx, row.family_id);
      return { kind: 'reused', userId: row.user_id, familyId: row.family_id };
    }
    if (row.expired) return { kind: 'expired' };
    await tx.query('UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1', [row.id]);
    const next = await issueRefreshToken(tx, { userId: row.user_id, ttlDays, familyId: row.family_id });
    return {
      kind: 'rotated',
      user: { id: row.user_id, nickname: row.nickname, role: row.role, synthetic: row.synthetic },
      token: next.token,
      familyId: next.familyId,
    };
  });
}

/** Revokes the family of `token`; returns its owner, or null for a token we never issued. */
export async function revokeFamilyOf(tx: Queryable, token: string): Promise<{ userId: string; familyId: string } | null> {
  const r = await tx.query<{ user_id: string; family_id: string }>(
    'SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1',
    [hashRefreshToken(token)],
  );
  const row = r.rows[0];
  if (!row) return null;
  await revokeFamily(tx, row.family_id);
  return { userId: row.user_id, familyId: row.family_id };
}
