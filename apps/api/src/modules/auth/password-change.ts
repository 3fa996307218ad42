import type { AccessClaims } from '../../auth/access-token.js';
import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { LoginRateLimiter } from './rate-limit.js';

/**
 * Changes the player's password and ends every other session: their refresh-token families
 * are revoked, and their access tokens are listed as revoked, so a thief holding an old
 * session loses it now. The session making the change stays. Guesses at the current password
 * count against the same limits as logins (a stolen access token must not become an oracle).
 */
export async function changePassword(
  ctx: AppContext,
  limiter: LoginRateLimiter,
  input: { claims: AccessClaims; currentPassword: string; newPassword: string; ip: string },
): Promise<void> {
  const attempt = { nickname: input.claims.nickname, ip: input.ip };
  const reservation = await limiter.begin(attempt);
  const r = await ctx.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [input.claims.sub]);
  const ok = r.rows[0] ? await verifyPassword(r.rows[0].password_hash, input.currentPassword) : false;
  // 403, not 401: the session is fine, the password typed is not (a 401 would make clients refresh).
  if (!ok) throw new AppError('invalid_credentials', 403, 'currentPassword: is not your current password.', { field: 'currentPassword' });
  const hash = await hashPassword(input.newPassword);
  const others = await withTransaction(ctx.db, async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [input.claims.sub, hash]);
    const gone = await tx.query<{ family_id: string }>(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE user_id = $1 AND family_id <> $2 AND revoked_at IS NULL AND expires_at > now()
        RETURNING family_id`,
      [input.claims.sub, input.claims.sid],
    );
    return [...new Set(gone.rows.map((row) => row.family_id))];
  });
  await ctx.revocations.revoke(others.map((f) => `s:${f}`), ctx.config.ACCESS_TOKEN_TTL_SECONDS);
  await limiter.succeeded(reservation, attempt);
  ctx.logger.info({ user: input.claims.sub, sessionsEnded: others.length }, 'password changed');
}
