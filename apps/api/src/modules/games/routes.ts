import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { GAME_CATALOG } from '../../games/catalog.js';
import { requireUser } from '../../http/authenticate.js';
import { gachaRoutes } from './gacha.js';
import { rpsRoutes } from './rps.js';
import { slotsRoutes } from './slots.js';

/** /api/games: the published catalog (odds and RTP) and one play route per game. */
export function gamesModule(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const auth = requireUser(ctx);
    app.get('/', { preHandler: auth }, async () => ({ games: GAME_CATALOG }));
    slotsRoutes(app, ctx, auth);
    rpsRoutes(app, ctx, auth);
    gachaRoutes(app, ctx, auth);
  };
}
