import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { requireUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';

export interface LeaderboardOptions {
  /** The clock; tests inject one to cross UTC day boundaries. */
  now?: () => Date;
}

const query = z.object({ period: z.enum(['day', 'all']).default('all') });

export const LEADERBOARD_SIZE = 50;

// Net winnings of the wagering games (slots and rps): payouts minus bets. Gacha pulls buy
// items rather than wager coins, so they are not "losses" here. Synthetic (smoke-test) users
// never appear.
//
// All time reads leaderboard_totals, which a trigger on plays keeps (migration 0006): walking
// its (net, plays) index stops after the top rows instead of summing every play ever made.
export const ALL_TIME_SQL = `
SELECT u.nickname, t.net, t.plays
  FROM leaderboard_totals t JOIN users u ON u.id = t.user_id
 WHERE NOT u.synthetic
 ORDER BY t.net DESC, t.plays DESC, u.nickname
 LIMIT ${LEADERBOARD_SIZE}`;

// One UTC day of plays, found through plays_created_at_idx.
const DAY_SQL = `
SELECT u.nickname, sum(p.payout - p.bet)::bigint AS net, count(*)::int AS plays
  FROM plays p JOIN users u ON u.id = p.user_id
 WHERE NOT u.synthetic AND p.game IN ('slots', 'rps') AND p.created_at >= $1::timestamptz
 GROUP BY u.id, u.nickname
 ORDER BY net DESC, plays DESC, u.nickname
 LIMIT ${LEADERBOARD_SIZE}`;

/** /api/leaderboard?period=day|all: the top 50 by net winnings; day is the current UTC day. */
export function leaderboardModule(ctx: AppContext, opts: LeaderboardOptions = {}): FastifyPluginAsync {
  const now = opts.now ?? (() => new Date());
  return async (app) => {
    app.get('/', { preHandler: requireUser(ctx) }, async (req) => {
      const { period } = parse(query, req.query, 'query');
      const since = period === 'day' ? `${now().toISOString().slice(0, 10)}T00:00:00.000Z` : null;
      const r = await ctx.db.query<{ nickname: string; net: number; plays: number }>(since === null ? ALL_TIME_SQL : DAY_SQL, since === null ? [] : [since]);
      return {
        period,
        since,
        entries: r.rows.map((row, i) => ({ rank: i + 1, nickname: row.nickname, net: row.net, plays: row.plays })),
      };
    });
  };
}
