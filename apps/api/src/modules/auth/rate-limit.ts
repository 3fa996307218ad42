import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { PgFailureStore, RedisFailureStore, type FailureCount, type LoginFailureStore } from './login-failure-store.js';

// Login failures are limited per nickname (guessing one account's password) and per client IP
// (spraying many accounts). Counts live in Redis and fall back to PostgreSQL whenever Redis is
// not configured, not connected or failing, so Redis being down never breaks login.

export interface LoginAttempt {
  nickname: string;
  ip: string;
}

export class LoginRateLimiter {
  private readonly redis: RedisFailureStore | null;
  private readonly pg: PgFailureStore;

  constructor(private readonly ctx: AppContext) {
    const window = ctx.config.LOGIN_FAILURE_WINDOW_SECONDS;
    this.redis = ctx.redis ? new RedisFailureStore(ctx.redis, window) : null;
    this.pg = new PgFailureStore(ctx.db, window);
  }

  private keys(a: LoginAttempt): [string, string] {
    return [`login_fail:nick:${a.nickname.toLowerCase()}`, `login_fail:ip:${a.ip}`];
  }

  /** Runs op on Redis when it is usable, otherwise (or when it throws) on PostgreSQL. */
  private async use<T>(op: (store: LoginFailureStore) => Promise<T>): Promise<T> {
    if (this.redis?.usable) {
      try {
        return await op(this.redis);
      } catch (err) {
        this.ctx.logger.warn({ err: (err as Error).message }, 'login rate limit: redis failed; using PostgreSQL');
      }
    }
    return op(this.pg);
  }

  /** Throws 429 rate_limited with Retry-After when either limit is already reached. */
  async assertAllowed(a: LoginAttempt): Promise<void> {
    const [nick, ip] = await this.use((s) => s.counts(this.keys(a)));
    const over = (c: FailureCount | undefined, max: number) => (c && c.failures >= max ? c.resetInMs : 0);
    const waitMs = Math.max(
      over(nick, this.ctx.config.LOGIN_MAX_FAILURES_PER_NICKNAME),
      over(ip, this.ctx.config.LOGIN_MAX_FAILURES_PER_IP),
    );
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError('rate_limited', 429, `Too many failed logins; try again in ${seconds} seconds.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
  }

  async recordFailure(a: LoginAttempt): Promise<void> {
    await this.use((s) => s.increment(this.keys(a)));
  }

  /** A successful login clears the nickname's count; the IP's stays, or one good account would reset spraying. */
  async recordSuccess(a: LoginAttempt): Promise<void> {
    await this.use((s) => s.clear(this.keys(a)[0]));
  }
}
