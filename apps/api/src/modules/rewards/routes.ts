import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { currentUser, requireUser } from '../../http/authenticate.js';
import { claimDailyReward } from './claim.js';
import { StreakStore } from './streak-store.js';

export interface RewardsOptions {
  /** The clock; tests inject one to cross UTC day boundaries. */
  now?: () => Date;
}

/** /api/rewards: the daily reward with its streak. */
export function rewardsModule(ctx: AppContext, opts: RewardsOptions = {}): FastifyPluginAsync {
  const now = opts.now ?? (() => new Date());
  const store = new StreakStore(ctx);
  return async (app) => {
    app.post('/daily', { preHandler: requireUser(ctx) }, async (req) => {
      const user = currentUser(req);
      return claimDailyReward(ctx, store, { id: user.sub, synthetic: user.synthetic }, now());
    });
  };
}
