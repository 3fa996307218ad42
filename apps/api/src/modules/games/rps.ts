import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { RPS_CHOICES, RPS_MAX_BET, RPS_MIN_BET, playRps } from '../../games/rps.js';
import { currentUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { idempotencyKey, requestHash } from './idempotency.js';
import { executePlay } from './play.js';
import { sendPlay } from './reply.js';

const playBody = z.object({
  bet: z.number().int().min(RPS_MIN_BET).max(RPS_MAX_BET),
  choice: z.enum(RPS_CHOICES),
});

export function rpsRoutes(app: FastifyInstance, ctx: AppContext, auth: preHandlerHookHandler): void {
  app.post('/rps/play', { preHandler: auth }, async (req, reply) => {
    const key = idempotencyKey(req);
    const input = parse(playBody, req.body);
    const user = currentUser(req);
    const playId = randomUUID();
    const outcome = playRps(input.bet, input.choice);
    const result = await executePlay(ctx, {
      game: 'rps',
      userId: user.sub,
      synthetic: user.synthetic,
      idempotencyKey: key,
      requestHash: requestHash('rps', input),
      playId,
      stake: input.bet,
      stakeKind: 'bet',
      payout: outcome.payout,
      response: { playId, ...outcome },
      metadata: { choice: outcome.choice, houseChoice: outcome.houseChoice, result: outcome.result },
    });
    return sendPlay(reply, result);
  });
}
