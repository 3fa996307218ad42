import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { enqueueAction } from '../../events/outbox.js';
import { postLedgerEntry } from '../../wallet/ledger.js';
import { nextClaimAt, nextStreak, rewardAmount, utcDay, type StreakState } from './streak.js';
import { loadStreakFromDb, type StreakStore } from './streak-store.js';

export interface ClaimResult {
  amount: number;
  streakDays: number;
  balance: number;
  nextClaimAt: string;
}

/**
 * Claims today's reward in one transaction: the user row lock serialises claims of one user,
 * the (user_id, day) primary key is the backstop, and the ledger row, the reward row and the
 * outbox event commit together. The Redis cache is refreshed after commit from what
 * PostgreSQL said, including after a refused second claim.
 */
export async function claimDailyReward(
  ctx: AppContext,
  store: StreakStore,
  user: { id: string; synthetic: boolean },
  now: Date,
): Promise<ClaimResult> {
  const today = utcDay(now);
  let seen: StreakState | null = null;
  try {
    const result = await withTransaction(ctx.db, async (tx) => {
      const locked = await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [user.id]);
      if (locked.rowCount === 0) throw new AppError('unauthorized', 401, 'This account no longer exists.');
      const last = await loadStreakFromDb(tx, user.id);
      seen = last;
      if (last.lastDay === today) {
        throw new AppError('already_claimed', 409, `Today's reward is already claimed; the next one opens at ${nextClaimAt(last, now)}.`);
      }
      const streakDays = nextStreak(last, now);
      const amount = rewardAmount(streakDays);
      await tx.query('INSERT INTO daily_rewards (user_id, day, amount, streak_days) VALUES ($1, $2, $3, $4)', [user.id, today, amount, streakDays]);
      const balance = await postLedgerEntry(tx, { userId: user.id, kind: 'daily_reward', amount, refId: `daily:${today}` });
      await enqueueAction(tx, { userId: user.id, actionType: 'daily_reward', metadata: { day: today, amount, streakDays } });
      return { amount, streakDays, balance };
    });
    const state: StreakState = { days: result.streakDays, lastDay: today };
    await store.remember(user.id, state);
    if (!user.synthetic) ctx.metrics.rewardClaims.inc();
    return { ...result, nextClaimAt: nextClaimAt(state, now) };
  } catch (err) {
    if (seen) await store.remember(user.id, seen);
    if ((err as { code?: string }).code === '23505') {
      throw new AppError('already_claimed', 409, "Today's reward is already claimed.", { cause: err });
    }
    throw err;
  }
}
