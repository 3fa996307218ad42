import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { PgAttemptStore, RedisAttemptStore, type AttemptStore } from './attempt-store.js';

// Expensive or guessable auth work (a password verification, a sign-up) is limited per key:
// per nickname (guessing one account's password), per client IP (spraying many accounts, or
// flooding sign-up). Each attempt reserves its place atomically BEFORE the work, so parallel
// attempts cannot all pass a check made before any of them was counted. Counts live in Redis
// and fall back to PostgreSQL whenever Redis is not configured, not connected or failing.

export interface LimitedKey {
  key: string;
  max: number;
}

/** A held place in each key's window; give it back with release() when the attempt must not count. */
export interface Reservation {
  readonly store: AttemptStore;
  readonly keys: string[];
}

export class AttemptLimiter {
  private readonly redis: RedisAttemptStore | null;
  private readonly pg: PgAttemptStore;

  constructor(private readonly ctx: AppContext, windowSeconds: number, private readonly what: string) {
    this.redis = ctx.redis ? new RedisAttemptStore(ctx.redis, windowSeconds) : null;
    this.pg = new PgAttemptStore(ctx.db, windowSeconds);
  }

  /** Runs op on Redis when it is usable, otherwise (or when it throws) on PostgreSQL. */
  private async use<T>(op: (store: AttemptStore) => Promise<T>): Promise<{ store: AttemptStore; value: T }> {
    if (this.redis?.usable) {
      try {
        return { store: this.redis, value: await op(this.redis) };
      } catch (err) {
        this.ctx.logger.warn({ err: (err as Error).message }, `${this.what} rate limit: redis failed; using PostgreSQL`);
      }
    }
    return { store: this.pg, value: await op(this.pg) };
  }

  /**
   * Counts one attempt against every key, or throws 429 rate_limited with Retry-After when
   * that puts any key over its limit (the refused attempt is not counted).
   */
  async reserve(limits: LimitedKey[], message: (seconds: number) => string): Promise<Reservation> {
    const keys = limits.map((l) => l.key);
    const { store, value: counts } = await this.use((s) => s.reserve(keys));
    const waitMs = Math.max(0, ...counts.map((c, i) => (c.count > limits[i]!.max ? c.resetInMs : 0)));
    if (waitMs > 0) {
      await store.release(keys).catch(() => undefined);
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError('rate_limited', 429, message(seconds), { headers: { 'retry-after': String(seconds) } });
    }
    return { store, keys };
  }

  /** Gives back the reservation of the given keys (all of them when omitted). */
  async release(r: Reservation, keys: string[] = r.keys): Promise<void> {
    await r.store.release(keys).catch((err: unknown) => this.ctx.logger.warn({ err: (err as Error).message }, `${this.what} rate limit: release failed`));
  }

  async clear(r: Reservation, key: string): Promise<void> {
    await r.store.clear(key).catch((err: unknown) => this.ctx.logger.warn({ err: (err as Error).message }, `${this.what} rate limit: clear failed`));
  }
}

export interface LoginAttempt {
  nickname: string;
  ip: string;
}

/**
 * Login: a failed verification keeps its reservation (it is the failure count); a success
 * clears the nickname and gives the IP's place back, or one good account would let an IP
 * keep spraying.
 */
export class LoginRateLimiter {
  private readonly limiter: AttemptLimiter;
  constructor(private readonly ctx: AppContext) {
    this.limiter = new AttemptLimiter(ctx, ctx.config.LOGIN_FAILURE_WINDOW_SECONDS, 'login');
  }

  private keys(a: LoginAttempt): { nick: string; ip: string } {
    return { nick: `login_fail:nick:${a.nickname.toLowerCase()}`, ip: `login_fail:ip:${a.ip}` };
  }

  /** Reserves the attempt; throws 429 when either limit is reached. */
  async begin(a: LoginAttempt): Promise<Reservation> {
    const k = this.keys(a);
    return this.limiter.reserve(
      [
        { key: k.nick, max: this.ctx.config.LOGIN_MAX_FAILURES_PER_NICKNAME },
        { key: k.ip, max: this.ctx.config.LOGIN_MAX_FAILURES_PER_IP },
      ],
      (s) => `Too many failed logins; try again in ${s} seconds.`,
    );
  }

  async succeeded(r: Reservation, a: LoginAttempt): Promise<void> {
    const k = this.keys(a);
    await Promise.all([this.limiter.clear(r, k.nick), this.limiter.release(r, [k.ip])]);
  }
}

/** Sign-up per client IP: a successful sign-up gives its place back, failures keep theirs. */
export class SignupRateLimiter {
  private readonly limiter: AttemptLimiter;
  constructor(private readonly ctx: AppContext) {
    this.limiter = new AttemptLimiter(ctx, ctx.config.SIGNUP_WINDOW_SECONDS, 'signup');
  }

  begin(ip: string): Promise<Reservation> {
    return this.limiter.reserve([{ key: `signup_fail:ip:${ip}`, max: this.ctx.config.SIGNUP_MAX_FAILURES_PER_IP }], (s) => `Too many failed sign-ups from your network; try again in ${s} seconds.`);
  }

  succeeded(r: Reservation): Promise<void> {
    return this.limiter.release(r);
  }
}
