import cookie from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { withTransaction } from '../../db/pool.js';
import { AppError } from '../../errors.js';
import { enqueueAction } from '../../events/outbox.js';
import { currentUser, requireUser } from '../../http/authenticate.js';
import { parse } from '../../http/validate.js';
import { login } from './login.js';
import { changePassword } from './password-change.js';
import { LoginRateLimiter, SignupRateLimiter } from './rate-limit.js';
import { revokeFamilyOf, rotateRefreshToken } from './refresh-tokens.js';
import { loginBody, passwordChangeBody, refreshBody, signupBody } from './schemas.js';
import { clearSessionCookie, deliverSession, presentedRefreshToken, wantsBodyDelivery } from './session-cookie.js';
import { sessionResponse } from './session.js';
import { signup } from './signup.js';

const INVALID_REFRESH = 'This session is no longer valid; log in again.';

export function authModule(ctx: AppContext): FastifyPluginAsync {
  const limiter = new LoginRateLimiter(ctx);
  const signupLimiter = new SignupRateLimiter(ctx);
  const ttlDays = ctx.config.REFRESH_TOKEN_TTL_DAYS;
  return async (app) => {
    // Cookies are parsed here only: nothing outside /api/auth is authorised by one.
    await app.register(cookie);
    // Answers here carry tokens: no browser, proxy or CDN may keep a copy.
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    app.post('/signup', async (req, reply) => {
      const body = parse(signupBody, req.body);
      const { synthetic: _synthetic, ...session } = await signup(ctx, signupLimiter, { ...body, ip: req.ip });
      return reply.status(201).send(deliverSession(req, reply, session, ttlDays, wantsBodyDelivery(req)));
    });

    app.post('/login', async (req, reply) => {
      const body = parse(loginBody, req.body);
      const session = await login(ctx, limiter, { ...body, ip: req.ip });
      return reply.send(deliverSession(req, reply, session, ttlDays, wantsBodyDelivery(req)));
    });

    app.post('/refresh', async (req, reply) => {
      const presented = presentedRefreshToken(req, parse(refreshBody, req.body).refreshToken);
      if (!presented) throw new AppError('unauthorized', 401, INVALID_REFRESH);
      const r = await rotateRefreshToken(ctx.db, presented.token, ttlDays);
      if (r.kind !== 'rotated' && presented.via === 'cookie') clearSessionCookie(req, reply);
      switch (r.kind) {
        case 'rotated':
          // Answered in the channel the token came in: a cookie is never swapped for a readable token.
          return reply.send(deliverSession(req, reply, await sessionResponse(ctx, r.user, r.token, r.familyId), ttlDays, presented.via === 'body'));
        case 'reused':
          // A spent token came back: either the client retried or someone copied it. Both
          // holders lose the session; that is the point of reuse detection.
          req.log.warn({ user: r.userId, family: r.familyId }, 'refresh token reused; family revoked');
          await ctx.revocations.revoke([`s:${r.familyId}`], ctx.config.ACCESS_TOKEN_TTL_SECONDS);
          throw new AppError('token_reused', 401, 'This refresh token was already used; the session has been ended. Log in again.');
        case 'expired':
          throw new AppError('token_expired', 401, 'This session has expired; log in again.');
        case 'unknown':
          throw new AppError('unauthorized', 401, INVALID_REFRESH);
      }
    });

    app.post('/logout', async (req, reply) => {
      const presented = presentedRefreshToken(req, parse(refreshBody, req.body).refreshToken);
      if (presented) {
        const owner = await withTransaction(ctx.db, async (tx) => {
          const o = await revokeFamilyOf(tx, presented.token);
          if (o) await enqueueAction(tx, { userId: o.userId, actionType: 'logout', metadata: {} });
          return o;
        });
        // Access tokens of this session stop working now, not when they expire.
        if (owner) await ctx.revocations.revoke([`s:${owner.familyId}`], ctx.config.ACCESS_TOKEN_TTL_SECONDS);
      }
      clearSessionCookie(req, reply);
      return reply.status(204).send();
    });

    app.post('/password', { preHandler: requireUser(ctx) }, async (req, reply) => {
      const body = parse(passwordChangeBody, req.body);
      await changePassword(ctx, limiter, { claims: currentUser(req), ...body, ip: req.ip });
      return reply.status(204).send();
    });
  };
}
