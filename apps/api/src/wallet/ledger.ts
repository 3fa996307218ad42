import type { PoolClient } from 'pg';
import { AppError } from '../errors.js';

export type LedgerKind = 'signup_bonus' | 'bet' | 'payout' | 'daily_reward' | 'gacha' | 'adjustment';

/**
 * Moves coins for one user inside the caller's transaction: the balance and its ledger row
 * change together. The conditional UPDATE is the guard; the CHECK on users.balance is the
 * backstop if a future caller forgets it.
 */
export async function postLedgerEntry(
  tx: Pick<PoolClient, 'query'>,
  entry: { userId: string; kind: LedgerKind; amount: number; refId?: string | null },
): Promise<number> {
  if (!Number.isSafeInteger(entry.amount) || entry.amount === 0) {
    throw new AppError('internal', 500, `ledger amount must be a non-zero integer, got ${entry.amount}`);
  }
  const upd = await tx.query<{ balance: string }>(
    'UPDATE users SET balance = balance + $2 WHERE id = $1 AND balance + $2 >= 0 RETURNING balance',
    [entry.userId, entry.amount],
  );
  const row = upd.rows[0];
  if (!row) {
    throw new AppError('insufficient_funds', 409, 'Your balance is too low for this.');
  }
  const balanceAfter = Number(row.balance);
  await tx.query(
    'INSERT INTO ledger_entries (user_id, kind, amount, balance_after, ref_id) VALUES ($1, $2, $3, $4, $5)',
    [entry.userId, entry.kind, entry.amount, balanceAfter, entry.refId ?? null],
  );
  return balanceAfter;
}
