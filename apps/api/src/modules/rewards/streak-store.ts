import type { AppContext } from '../../context.js';
import { NO_STREAK, type StreakState } from './streak.js';

// Redis caches each user's last claim so GET /api/me needs no extra query; PostgreSQL
// (daily_rewards) is the truth. Every Redis call is best effort and bounded in time: when
// Redis is absent, down or slow, reads fall back to PostgreSQL and writes are skipped.

const TTL_SECONDS = 2 * 86_400;
const REDIS_TIMEOUT_MS = 250;

type Queryable = Pick<AppContext['db'], 'query'>;

export function streakKey(userId: string): string {
  return `streak:${userId}`;
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('redis timed out')), REDIS_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function decode(raw: string | null): StreakState | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StreakState>;
    if (typeof v.days === 'number' && (v.lastDay === null || (typeof v.lastDay === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v.lastDay)))) {
      return { days: v.days, lastDay: v.lastDay };
    }
  } catch {
    // A corrupt entry is a cache miss.
  }
  return null;
}

/** The user's last claim from PostgreSQL; `db` may be a transaction. */
export async function loadStreakFromDb(db: Queryable, userId: string): Promise<StreakState> {
  const r = await db.query<{ day: string; streak_days: number }>(
    'SELECT day::text AS day, streak_days FROM daily_rewards WHERE user_id = $1 ORDER BY day DESC LIMIT 1',
    [userId],
  );
  const row = r.rows[0];
  return row ? { days: row.streak_days, lastDay: row.day } : NO_STREAK;
}

export class StreakStore {
  constructor(private readonly ctx: AppContext) {}

  async get(userId: string): Promise<StreakState> {
    const redis = this.ctx.redis;
    if (redis) {
      try {
        const cached = decode(await withTimeout(redis.get(streakKey(userId))));
        if (cached) return cached;
      } catch {
        // Fall through to PostgreSQL.
      }
    }
    const state = await loadStreakFromDb(this.ctx.db, userId);
    // NX: a claim that committed after our read has already written the newer state, and a
    // stale read must not overwrite it.
    await this.remember(userId, state, { onlyIfAbsent: true });
    return state;
  }

  /** Caches the state after PostgreSQL has it; failures only cost a later cache miss. */
  async remember(userId: string, state: StreakState, opts: { onlyIfAbsent?: boolean } = {}): Promise<void> {
    const redis = this.ctx.redis;
    if (!redis) return;
    const key = streakKey(userId);
    const value = JSON.stringify(state);
    try {
      await withTimeout(opts.onlyIfAbsent ? redis.set(key, value, 'EX', TTL_SECONDS, 'NX') : redis.set(key, value, 'EX', TTL_SECONDS));
    } catch {
      // Best effort, see above.
    }
  }
}
