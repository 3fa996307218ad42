import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { enqueueAction } from '../../events/outbox.js';
import { parse } from '../../http/validate.js';
import { login } from './login.js';
import { LoginRateLimiter, SignupRateLimiter } from './rate-limit.js';
import { revokeFamilyOf, rotateRefreshToken } from './refresh-tokens.js';
import { loginBody, refreshBody, signupBody } from './schemas.js';
import { sessionResponse } from './session.js';
import { signup } from './signup.js';

const INVALID_REFRESH = 'This session is no longer valid; log in again.';

export function authModule(ctx: AppContext): FastifyPluginAsync {
  const limiter = new LoginRateLimiter(ctx);
  const signupLimiter = new SignupRateLimiter(ctx);
  return async (app) => {
    // Answers here carry tokens: no browser, proxy or CDN may keep a copy.
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    app.post('/signup', async (req, reply) => {
      const body = parse(signupBody, req.body);
      const { synthetic: _synthetic, ...session } = await signup(ctx, signupLimiter, { ...body, ip: req.ip });
      return reply.status(201).send(session);
    });

    app.post('/login', async (req) => {
      const body = parse(loginBody, req.body);
      return login(ctx, limiter, { ...body, ip: req.ip });
    });

    app.post('/refresh', async (req) => {
      const { refreshToken } = parse(refreshBody, req.body);
      const r = await rotateRefreshToken(ctx.db, refreshToken, ctx.config.REFRESH_TOKEN_TTL_DAYS);
      switch (r.kind) {
        case 'rotated':
          return sessionResponse(ctx, r.user, r.token);
        case 'reused':
          // A spent token came back: either the client retried or someone copied it. Both
          // holders lose the session; that is the point of reuse detection.
          req.log.warn({ user: r.userId, family: r.familyId }, 'refresh token reused; family revoked');
          throw new AppError('token_reused', 401, 'This refresh token was already used; the session has been ended. Log in again.');
        case 'expired':
          throw new AppError('token_expired', 401, 'This session has expired; log in again.');
        case 'unknown':
          throw new AppError('unauthorized', 401, INVALID_REFRESH);
      }
    });

    app.post('/logout', async (req, reply) => {
      const { refreshToken } = parse(refreshBody, req.body);
      await withTransaction(ctx.db, async (tx) => {
        const owner = await revokeFamilyOf(tx, refreshToken);
        if (owner) await enqueueAction(tx, { userId: owner.userId, actionType: 'logout', metadata: {} });
      });
      return reply.status(204).send();
    });
  };
}
