import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { enqueueAction } from '../../events/outbox.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { LoginRateLimiter, Reservation } from './rate-limit.js';
import { startSession, type SessionResponse } from './session.js';
import { findUserForLogin } from './users.js';

// The same words for an unknown nickname and a wrong password, so login does not reveal who
// has an account.
export const INVALID_CREDENTIALS_MESSAGE = 'Nickname or password is incorrect.';

export async function login(
  ctx: AppContext,
  limiter: LoginRateLimiter,
  input: { nickname: string; password: string; ip: string },
): Promise<SessionResponse> {
  const attempt = { nickname: input.nickname, ip: input.ip };
  let reservation: Reservation;
  try {
    // Reserved before verifying: parallel guesses cannot all pass a check none was counted in.
    reservation = await limiter.begin(attempt);
  } catch (err) {
    ctx.metrics.logins.inc({ result: 'failure' });
    throw err;
  }

  const user = await findUserForLogin(ctx.db, input.nickname);
  const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok) {
    // The reservation stays: it is this failure's count.
    ctx.metrics.logins.inc({ result: 'failure' });
    ctx.logger.info({ nickname: input.nickname, ip: input.ip, known: Boolean(user) }, 'login failed');
    throw new AppError('invalid_credentials', 401, INVALID_CREDENTIALS_MESSAGE);
  }

  await limiter.succeeded(reservation, attempt);
  const rehash = needsRehash(user.passwordHash) ? await hashPassword(input.password) : null;
  const session = await withTransaction(ctx.db, async (tx) => {
    if (rehash) await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, rehash]);
    await enqueueAction(tx, { userId: user.id, actionType: 'login', metadata: {} });
    return startSession(ctx, tx, user);
  });
  ctx.metrics.logins.inc({ result: 'success' });
  return session;
}
