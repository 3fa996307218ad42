import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { pullGacha } from '../../games/gacha.js';
import { currentUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { idempotencyKey, requestHash } from './idempotency.js';
import { executePlay } from './play.js';
import { sendPlay } from './reply.js';

const pullBody = z.object({ count: z.union([z.literal(1), z.literal(10)], { error: 'must be 1 or 10' }) });

export function gachaRoutes(app: FastifyInstance, ctx: AppContext, auth: preHandlerHookHandler): void {
  app.post('/gacha/pull', { preHandler: auth }, async (req, reply) => {
    const key = idempotencyKey(req);
    const input = parse(pullBody, req.body);
    const user = currentUser(req);
    const playId = randomUUID();
    const pull = pullGacha(input.count);
    const result = await executePlay(ctx, {
      game: 'gacha',
      userId: user.sub,
      synthetic: user.synthetic,
      idempotencyKey: key,
      requestHash: requestHash('gacha', input),
      playId,
      stake: pull.cost,
      stakeKind: 'gacha',
      payout: 0,
      response: { playId, items: pull.items, cost: pull.cost },
      metadata: { count: input.count, rarities: pull.items.map((i) => i.rarity) },
    });
    return sendPlay(reply, result);
  });
}
