import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { enqueueAction } from '../../events/outbox.js';
import { currentUser, requireUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { actionBody } from './schemas.js';

/**
 * Client-reported user actions (page views, clicks; see CLIENT_ACTION_TYPES). They go through the same outbox as
 * the server's own events, so the 202 means "recorded", not "delivered to Kafka".
 */
export function actionsModule(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/', { preHandler: requireUser(ctx) }, async (req, reply) => {
      const body = parse(actionBody, req.body);
      const user = currentUser(req);
      const event = await enqueueAction(ctx.db, { userId: user.sub, actionType: body.actionType, metadata: body.metadata ?? {} });
      return reply.status(202).send({ eventId: event.event_id });
    });
  };
}
