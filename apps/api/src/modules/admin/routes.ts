import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MAX_INVITE_USES, MAX_INVITES_PER_CALL, createInvites } from '../../admin/invite-codes.js';
import type { AppContext } from '../../context.js';
import { currentUser, requireAdmin } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';

const invitesBody = z.object({
  count: z.number().int().min(1).max(MAX_INVITES_PER_CALL),
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z' })
    .transform((v) => new Date(v))
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .optional(),
  smoke: z.boolean().optional(),
});

export function adminModule(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/invites', { preHandler: requireAdmin(ctx) }, async (req, reply) => {
      const body = parse(invitesBody, req.body);
      const admin = currentUser(req);
      const codes = await createInvites(ctx.db, { ...body, createdBy: admin.sub });
      // The codes themselves stay out of the log: each one is a key to an account.
      req.log.info({ admin: admin.sub, count: codes.length, smoke: body.smoke ?? false, maxUses: body.maxUses ?? 1 }, 'invites created');
      return reply.status(201).send({
        codes,
        maxUses: body.maxUses ?? 1,
        expiresAt: body.expiresAt?.toISOString() ?? null,
        smoke: body.smoke ?? false,
      });
    });
  };
}
