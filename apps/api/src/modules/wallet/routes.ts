import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { currentUser, requireUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { currentStreak, nextClaimAt } from '../rewards/streak.js';
import { StreakStore } from '../rewards/streak-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface WalletOptions {
  /** The clock; tests inject one to cross UTC day boundaries. */
  now?: () => Date;
}

const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

interface LedgerRow {
  id: number;
  kind: string;
  amount: number;
  balance_after: number;
  ref_id: string | null;
  created_at: Date;
}

/** Registered under /api: GET /api/me and GET /api/wallet/ledger. */
export function walletModule(ctx: AppContext, opts: WalletOptions = {}): FastifyPluginAsync {
  const now = opts.now ?? (() => new Date());
  const streaks = new StreakStore(ctx);
  return async (app) => {
    const auth = requireUser(ctx);

    app.get('/me', { preHandler: auth }, async (req) => {
      const { sub } = currentUser(req);
      const [r, streak] = await Promise.all([
        ctx.db.query<{ id: string; nickname: string; balance: number; created_at: Date }>(
          { name: 'cc_wallet_me_v1', text: 'SELECT id, nickname, balance, created_at FROM users WHERE id = $1', values: [sub] },
        ),
        streaks.get(sub),
      ]);
      const u = r.rows[0];
      if (!u) throw new AppError('unauthorized', 401, 'This account no longer exists.');
      const at = now();
      return {
        id: u.id,
        nickname: u.nickname,
        balance: u.balance,
        streak: { days: currentStreak(streak, at), nextClaimAt: nextClaimAt(streak, at) },
        createdAt: u.created_at.toISOString(),
      };
    });

    app.get('/wallet/ledger', { preHandler: auth }, async (req) => {
      const { sub } = currentUser(req);
      const q = parse(ledgerQuery, req.query, 'query');
      const before = q.cursor === undefined ? null : decodeCursor(q.cursor);
      const r = await ctx.db.query<LedgerRow>(
        `SELECT id, kind, amount, balance_after, ref_id, created_at FROM ledger_entries
          WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
          ORDER BY id DESC LIMIT $3`,
        [sub, before, q.limit + 1],
      );
      const rows = r.rows.slice(0, q.limit);
      return {
        entries: rows.map((e) => ({
          id: e.id,
          kind: e.kind,
          amount: e.amount,
          balanceAfter: e.balance_after,
          refId: e.ref_id,
          createdAt: e.created_at.toISOString(),
        })),
        nextCursor: r.rows.length > q.limit ? encodeCursor(rows.at(-1)!.id) : null,
      };
    });
  };
}
