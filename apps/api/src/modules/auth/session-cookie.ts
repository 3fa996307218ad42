import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { SessionResponse } from './session.js';

// Where the refresh token travels. Browsers get it only as a cookie script cannot read:
// httpOnly, SameSite=Strict, Path=/api/auth (sent to these routes and nowhere else), Secure
// unless the site is on loopback (a browser on plain http://127.0.0.1 would drop a Secure
// cookie). The JSON carries it only to a client that asks (`X-Refresh-Token-Delivery: body`:
// the smoke tests, scripts), and refresh answers in the channel the token came in, so a
// script on the page can never swap the cookie for a readable token.

export const REFRESH_COOKIE = 'cc_refresh';
export const COOKIE_PATH = '/api/auth';
const DELIVERY_HEADER = 'x-refresh-token-delivery';
const CSRF_HEADER = 'x-cc-csrf';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function wantsBodyDelivery(req: FastifyRequest): boolean {
  return req.headers[DELIVERY_HEADER] === 'body';
}

function cookieOptions(req: FastifyRequest, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: 'strict' as const, path: COOKIE_PATH, secure: !LOOPBACK.has(req.hostname), maxAge: maxAgeSeconds };
}

/** Sends a session: the refresh token in the cookie, or in the body when `inBody`. */
export function deliverSession(req: FastifyRequest, reply: FastifyReply, session: SessionResponse, ttlDays: number, inBody: boolean): Partial<SessionResponse> {
  if (inBody) return session;
  reply.setCookie(REFRESH_COOKIE, session.refreshToken, cookieOptions(req, ttlDays * 86400));
  const { refreshToken: _omit, ...rest } = session;
  return rest;
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, cookieOptions(req, 0));
}

/**
 * A cookie authorises the request, so it must not be forgeable from another site: SameSite
 * already keeps the cookie off cross-site requests, and this is the second line. A custom
 * header cannot be sent cross-origin without a CORS preflight (which this API never grants),
 * and Sec-Fetch-Site, set by the browser itself, must say same-origin when present.
 */
export function requireCsrfProof(req: FastifyRequest): void {
  const site = req.headers['sec-fetch-site'];
  if (req.headers[CSRF_HEADER] !== '1' || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    throw new AppError('forbidden', 403, 'csrf: a request authorised by the session cookie must come from the CC web app itself (X-CC-CSRF: 1, same origin).', { field: 'csrf' });
  }
}

/** The refresh token presented: in the body (non-browser clients) or the cookie (with CSRF proof). */
export function presentedRefreshToken(req: FastifyRequest, fromBody: string | undefined): { token: string; via: 'body' | 'cookie' } | null {
  if (fromBody) return { token: fromBody, via: 'body' };
  const cookie = req.cookies[REFRESH_COOKIE];
  if (!cookie) return null;
  requireCsrfProof(req);
  return { token: cookie, via: 'cookie' };
}
