import { randomBytes } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from '../errors.js';

export interface AccessClaims {
  sub: string;
  nickname: string;
  role: 'player' | 'admin';
  synthetic: boolean;
  /** The session (refresh-token family) the token was issued for: logout revokes it by this. */
  sid: string;
  /** This token's own id, for revoking one token. */
  jti: string;
}

export type TokenSubject = Omit<AccessClaims, 'jti'>;

const ISSUER = 'cc-api';
const AUDIENCE = 'cc-web';
const VERIFIED_CACHE_MAX = 10_000;

export class AccessTokens {
  private readonly key: Uint8Array;
  // jose re-imports a raw Uint8Array key on every call; importing it once as a CryptoKey halves
  // the CPU cost of verifying, which every authenticated request pays.
  private verifyKey: Promise<CryptoKey> | null = null;
  // Tokens that already passed verification, until their own expiry: a player sends the same
  // token with every request, and HMAC verification through WebCrypto was the largest single
  // CPU cost of a play. Keyed by the exact token string; bounded, oldest entries evicted first.
  private readonly verified = new Map<string, { claims: AccessClaims; expMs: number }>();
  constructor(secret: string, private readonly ttlSeconds: number) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: TokenSubject): Promise<string> {
    return new SignJWT({ nickname: claims.nickname, role: claims.role, syn: claims.synthetic, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setJti(randomBytes(12).toString('base64url'))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    const hit = this.verified.get(token);
    if (hit && hit.expMs > Date.now()) return hit.claims;
    if (hit) this.verified.delete(token);
    try {
      this.verifyKey ??= crypto.subtle.importKey('raw', Uint8Array.from(this.key), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      // exp and sub are required: a token without exp, even signed with our key, would never expire.
      const { payload } = await jwtVerify(token, await this.verifyKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'jti', 'sid'] });
      const claims: AccessClaims = Object.freeze({
        sub: String(payload.sub),
        nickname: String(payload['nickname']),
        role: payload['role'] === 'admin' ? 'admin' : 'player',
        synthetic: payload['syn'] === true,
        sid: String(payload['sid']),
        jti: String(payload.jti),
      });
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { claims, expMs: payload.exp! * 1000 });
      return claims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new AppError('token_expired', 401, 'Your session token has expired; refresh it.', { cause: err });
      }
      throw new AppError('unauthorized', 401, 'Missing or invalid access token.', { cause: err });
    }
  }
}
