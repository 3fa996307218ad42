import type { PoolClient } from 'pg';
import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { enqueueAction } from '../../events/outbox.js';
import { postLedgerEntry } from '../../wallet/ledger.js';
import { hashPassword } from './passwords.js';
import type { SignupRateLimiter } from './rate-limit.js';
import { startSession, type SessionResponse } from './session.js';
import { insertUser } from './users.js';

// One message for unknown, used-up and expired codes, so the answer cannot be used to learn
// which codes exist.
export const INVALID_INVITE_MESSAGE = 'This invite code is not valid: it may be mistyped, used up or expired.';

const invalidInvite = () => new AppError('invalid_invite', 403, INVALID_INVITE_MESSAGE, { field: 'inviteCode' });
const nicknameTaken = () => new AppError('nickname_taken', 409, 'That nickname is taken; choose another.', { field: 'nickname' });

/**
 * Takes one use of the invite. The conditional UPDATE is atomic, and its row lock makes a
 * concurrent sign-up with the same code wait and then see the new count.
 */
async function consumeInvite(tx: Pick<PoolClient, 'query'>, code: string): Promise<{ smoke: boolean }> {
  const r = await tx.query<{ smoke: boolean }>(
    `UPDATE invite_codes SET uses = uses + 1
      WHERE code = $1 AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())
      RETURNING smoke`,
    [code],
  );
  const row = r.rows[0];
  if (!row) throw invalidInvite();
  return row;
}

/**
 * The cheap refusals, before argon2 spends ~50 ms of CPU: a code that cannot be used and a
 * nickname already taken. The transaction checks both again (they can change in between);
 * this only keeps bad requests from costing a hash.
 */
async function precheck(ctx: AppContext, input: { inviteCode: string; nickname: string }): Promise<void> {
  const r = await ctx.db.query<{ usable: boolean; taken: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM invite_codes WHERE code = $1 AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())) AS usable,
            EXISTS (SELECT 1 FROM users WHERE lower(nickname) = lower($2)) AS taken`,
    [input.inviteCode, input.nickname],
  );
  // The invite first: a nickname conflict is only revealed to someone holding a valid code.
  if (!r.rows[0]?.usable) throw invalidInvite();
  if (r.rows[0].taken) throw nicknameTaken();
}

export async function signup(
  ctx: AppContext,
  limiter: SignupRateLimiter,
  input: { inviteCode: string; nickname: string; password: string; ip: string },
): Promise<SessionResponse & { synthetic: boolean }> {
  const reservation = await limiter.begin(input.ip);
  await precheck(ctx, input);
  // Hash before the transaction so no row lock is held for the ~50 ms argon2 takes.
  const passwordHash = await hashPassword(input.password);
  const result = await withTransaction(ctx.db, async (tx) => {
    // The invite goes first: a nickname conflict is only revealed to someone holding a valid code,
    // and the rollback on conflict gives the invite use back.
    const invite = await consumeInvite(tx, input.inviteCode);
    const user = await insertUser(tx, { nickname: input.nickname, passwordHash, synthetic: invite.smoke });
    if (ctx.config.SIGNUP_BONUS > 0) {
      await postLedgerEntry(tx, { userId: user.id, kind: 'signup_bonus', amount: ctx.config.SIGNUP_BONUS, refId: `signup:${user.id}` });
    }
    await enqueueAction(tx, { userId: user.id, actionType: 'signup', metadata: { synthetic: user.synthetic, bonus: ctx.config.SIGNUP_BONUS } });
    const session = await startSession(ctx, tx, user);
    return { ...session, synthetic: user.synthetic };
  });
  // Only failed sign-ups count against the IP: a busy network of real players is not held back.
  await limiter.succeeded(reservation);
  if (!result.synthetic) ctx.metrics.signups.inc();
  return result;
}
