import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { SLOTS_MAX_BET, SLOTS_MIN_BET, spinSlots } from '../../games/slots.js';
import { currentUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { idempotencyKey, requestHash } from './idempotency.js';
import { executePlay } from './play.js';
import { sendPlay } from './reply.js';

const spinBody = z.object({ bet: z.number().int().min(SLOTS_MIN_BET).max(SLOTS_MAX_BET) });

export function slotsRoutes(app: FastifyInstance, ctx: AppContext, auth: preHandlerHookHandler): void {
  app.post('/slots/spin', { preHandler: auth }, async (req, reply) => {
    const key = idempotencyKey(req);
    const input = parse(spinBody, req.body);
    const user = currentUser(req);
    const playId = randomUUID();
    const spin = spinSlots(input.bet);
    const result = await executePlay(ctx, {
      game: 'slots',
      userId: user.sub,
      synthetic: user.synthetic,
      idempotencyKey: key,
      requestHash: requestHash('slots', input),
      playId,
      stake: input.bet,
      stakeKind: 'bet',
      payout: spin.payout,
      response: { playId, reels: spin.reels, payout: spin.payout },
      metadata: { reels: spin.reels, line: spin.line },
    });
    return sendPlay(reply, result);
  });
}
