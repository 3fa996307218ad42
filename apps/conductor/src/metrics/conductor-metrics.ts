import client from 'prom-client';
import type pg from 'pg';

// The conductor's own metrics. ccr is a CLI, so nothing lives long enough to count in memory:
// every figure is derived from the store (releases, release_steps, measurements and the
// append-only audit log), which makes the counters exact and the same whichever ccr process
// writes them. Rows are never deleted, so the *_total series only ever grow, as Prometheus
// expects of a counter. See textfile.ts for how they reach Prometheus.

type Queryable = Pick<pg.Pool, 'query'>;

/** Step durations in seconds: a smoke check takes seconds, a canary or hypercare tens of minutes. */
export const STEP_BUCKETS_S = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** The plan step that takes backups (issue 6). */
const BACKUP_STEP = 'backup.create';

export async function collectConductorMetrics(db: Queryable, now = new Date()): Promise<client.Registry> {
  const registry = new client.Registry();
  const releases = new client.Gauge({ name: 'ccr_releases', help: 'Releases in the store by environment and state', labelNames: ['env', 'state'], registers: [registry] });
  const started = new client.Counter({ name: 'ccr_releases_started_total', help: 'Releases started by environment', labelNames: ['env'], registers: [registry] });
  const steps = new client.Histogram({ name: 'ccr_step_duration_seconds', help: 'Duration of finished plan steps by step type and final status', labelNames: ['type', 'status'], buckets: STEP_BUCKETS_S, registers: [registry] });
  const verdicts = new client.Counter({ name: 'ccr_analysis_verdicts_total', help: 'Analysis measurements by provider, metric and verdict', labelNames: ['provider', 'metric', 'verdict'], registers: [registry] });
  const rollbacks = new client.Counter({ name: 'ccr_rollbacks_total', help: 'Completed rollbacks (automatic and ccr rollback) by environment', labelNames: ['env'], registers: [registry] });
  const breaches = new client.Counter({ name: 'ccr_hypercare_breaches_total', help: 'Hypercare signals that breached their limit, by environment and signal', labelNames: ['env', 'signal'], registers: [registry] });
  const backupOk = new client.Gauge({ name: 'ccr_backup_last_success_timestamp_seconds', help: 'Unix time of the last successful backup (backup.create step or ccr backup create), by environment', labelNames: ['env'], registers: [registry] });
  const backupFail = new client.Counter({ name: 'ccr_backup_failures_total', help: 'Failed backup.create steps and backups whose verification failed, by environment', labelNames: ['env'], registers: [registry] });
  const generated = new client.Gauge({ name: 'ccr_metrics_generated_timestamp_seconds', help: 'When this file was written (a stale file means no ccr ran)', registers: [registry] });

  const r1 = await db.query('SELECT env, state, count(*)::int AS n FROM releases GROUP BY env, state');
  const perEnv = new Map<string, number>();
  for (const row of r1.rows) {
    releases.set({ env: row.env, state: row.state }, row.n);
    perEnv.set(row.env, (perEnv.get(row.env) ?? 0) + row.n);
  }
  for (const [env, n] of perEnv) started.inc({ env }, n);

  const r2 = await db.query(
    `SELECT coalesce(type, kind) AS type, status, extract(epoch FROM finished_at - started_at)::float8 AS s
       FROM release_steps WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND status IN ('done', 'failed', 'skipped')`,
  );
  for (const row of r2.rows) steps.observe({ type: row.type, status: row.status }, Math.max(0, row.s));

  const r3 = await db.query('SELECT provider, metric, verdict, count(*)::int AS n FROM measurements GROUP BY provider, metric, verdict');
  for (const row of r3.rows) verdicts.inc({ provider: row.provider, metric: row.metric, verdict: row.verdict }, row.n);

  const r4 = await db.query(`SELECT env, action, details->>'signal' AS signal, count(*)::int AS n FROM audit_log
    WHERE action IN ('rollback.completed', 'hypercare.breach') AND env IS NOT NULL GROUP BY env, action, details->>'signal'`);
  for (const row of r4.rows) {
    if (row.action === 'rollback.completed') rollbacks.inc({ env: row.env }, row.n);
    else breaches.inc({ env: row.env, signal: row.signal ?? 'unknown' }, row.n);
  }

  // Backups: backup.create steps of releases, plus the backups table (`ccr backup create` too)
  // when the store has it: a verification that failed counts as a failed backup.
  const lastOk = new Map<string, number>();
  const failures = new Map<string, number>();
  const r5 = await db.query(
    `SELECT r.env, s.status, count(*)::int AS n, max(extract(epoch FROM s.finished_at))::float8 AS last
       FROM release_steps s JOIN releases r ON r.id = s.release_id
      WHERE s.type = $1 AND s.status IN ('done', 'failed') GROUP BY r.env, s.status`,
    [BACKUP_STEP],
  );
  const rows: Array<{ env: string; ok: boolean; n: number; last: number }> = r5.rows.map((r) => ({ env: r.env, ok: r.status === 'done', n: r.n, last: r.last }));
  if ((await db.query(`SELECT to_regclass('backups') AS t`)).rows[0].t) {
    const r6 = await db.query(
      `SELECT env, status = 'verify_failed' AS failed, count(*)::int AS n, max(extract(epoch FROM created_at))::float8 AS last FROM backups GROUP BY env, status = 'verify_failed'`,
    );
    for (const r of r6.rows) rows.push({ env: r.env, ok: !r.failed, n: r.n, last: r.last });
  }
  for (const r of rows) {
    if (r.ok) lastOk.set(r.env, Math.max(lastOk.get(r.env) ?? 0, Math.round(r.last)));
    else failures.set(r.env, (failures.get(r.env) ?? 0) + r.n);
  }
  for (const [env, t] of lastOk) backupOk.set({ env }, t);
  // An environment that backs up but never failed still shows 0 failures (alerts need the series).
  for (const env of new Set([...lastOk.keys(), ...failures.keys()])) backupFail.inc({ env }, failures.get(env) ?? 0);

  generated.set(Math.round(now.getTime() / 1000));
  return registry;
}

/** The Prometheus text exposition of the conductor's metrics. */
export async function conductorMetricsText(db: Queryable, now = new Date()): Promise<string> {
  return (await collectConductorMetrics(db, now)).metrics();
}
