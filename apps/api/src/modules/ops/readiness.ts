import type { AppContext } from '../../context.js';

export type CheckState = 'ok' | 'down' | 'disabled' | 'pending';
export interface ReadinessReport {
  status: 'ok' | 'degraded' | 'unavailable' | 'draining';
  checks: {
    db: { status: CheckState; error?: string };
    redis: { status: CheckState; error?: string };
    kafka: { status: CheckState; error?: string };
    migrations: { status: CheckState; current: number | null; expected: number };
  };
}

const CHECK_TIMEOUT_MS = 1000;

function withTimeout<T>(p: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

/**
 * PostgreSQL and an up-to-date schema are required (503 without them). Redis and Kafka are
 * optional by design (DESIGN §3): without them the app keeps serving and reports "degraded".
 */
export async function checkReadiness(ctx: AppContext): Promise<ReadinessReport> {
  const [db, redis] = await Promise.all([
    withTimeout(ctx.db.query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations'))
      .then((r) => ({ ok: true as const, version: r.rows[0]?.v ?? 0 }))
      .catch((e: unknown) => ({ ok: false as const, error: (e as Error).message })),
    ctx.redis
      ? withTimeout(ctx.redis.ping()).then(() => ({ status: 'ok' as const }), (e: unknown) => ({ status: 'down' as const, error: (e as Error).message }))
      : Promise.resolve({ status: 'disabled' as const }),
  ]);
  const relay = ctx.relayStatus();
  const kafka = !relay.enabled
    ? { status: 'disabled' as const }
    : relay.connected
      ? { status: 'ok' as const }
      : { status: 'down' as const, ...(relay.lastError ? { error: relay.lastError } : {}) };
  const current = db.ok ? db.version : null;
  const migrations = {
    status: current === null ? ('down' as const) : current >= ctx.expectedSchemaVersion ? ('ok' as const) : ('pending' as const),
    current,
    expected: ctx.expectedSchemaVersion,
  };
  ctx.metrics.dependencyUp.set({ dependency: 'db' }, db.ok ? 1 : 0);
  if (redis.status !== 'disabled') ctx.metrics.dependencyUp.set({ dependency: 'redis' }, redis.status === 'ok' ? 1 : 0);
  if (kafka.status !== 'disabled') ctx.metrics.dependencyUp.set({ dependency: 'kafka' }, kafka.status === 'ok' ? 1 : 0);

  const checks = {
    db: db.ok ? { status: 'ok' as const } : { status: 'down' as const, error: db.error },
    redis,
    kafka,
    migrations,
  };
  const status = ctx.lifecycle.draining
    ? 'draining'
    : !db.ok || migrations.status !== 'ok'
      ? 'unavailable'
      : redis.status === 'down' || kafka.status === 'down'
        ? 'degraded'
        : 'ok';
  return { status, checks };
}
