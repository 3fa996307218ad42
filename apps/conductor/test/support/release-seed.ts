import type pg from 'pg';

// A release history written straight into the store, as the engine would have left it: one
// canary release that went through analysis and hypercare and was rolled back, and one earlier
// release that was promoted after a backup (and a failed backup attempt before it). Times are
// fixed so durations and charts are known exactly.

export const T0 = Date.parse('2026-03-02T10:00:00Z');
export const at = (s: number) => new Date(T0 + s * 1000).toISOString();

export interface Seeded {
  promoted: string;
  rolledBack: string;
}

export async function seedReleases(db: Pick<pg.Pool, 'query'>): Promise<Seeded> {
  const promoted = 'r-20260301090000-aaaa';
  const rolledBack = 'r-20260302100000-bbbb';
  await db.query(
    `INSERT INTO releases (id, env, ref, version, commit_sha, strategy, started_by, phase, step, state, reason, previous_version, data, created_at, updated_at, finished_at)
     VALUES ($1, 'staging', 'v1.3.0', '1.3.0-abc1234', 'abc1234', 'canary', 'alice', 'done', NULL, 'promoted', 'all steps done', '1.2.0-0000001', '{}', $3, $3, $3),
            ($2, 'staging', 'v1.4.0', '1.4.0-def5678', 'def5678', 'canary', 'bob', 'post-deployment', 'hypercare', 'rolled_back',
             'hypercare: error rate 12.0% over the limit of 5.0%', '1.3.0-abc1234', '{"stable":"1.3.0-abc1234"}', $4, $5, $5)`,
    [promoted, rolledBack, new Date(T0 - 86_400_000).toISOString(), at(0), at(900)],
  );
  const steps: Array<[string, string, string, string, string | null, string, string, number, number]> = [
    [promoted, 'final-backup', 'pre-deployment', 'automated', 'backup.create', 'failed', 'pg_dump: disk full', -86_400, -86_340],
    [promoted, 'final-backup-2', 'pre-deployment', 'automated', 'backup.create', 'done', 'backup 12 MB verified', -86_300, -86_200],
    [rolledBack, 'ci-green', 'pre-deployment', 'automated', 'gate.ci', 'done', 'npm test: 412 passed', 0, 95],
    [rolledBack, 'final-code-review', 'pre-deployment', 'manual', null, 'done', 'signed off by carol: reviewed #812', 95, 160],
    [rolledBack, 'deploy-backend', 'deployment', 'automated', 'deploy.backend', 'done', 'canary promoted to 100%', 160, 520],
    [rolledBack, 'hypercare', 'post-deployment', 'automated', 'hypercare', 'failed', 'error rate 12.0% over the limit of 5.0%', 520, 880],
  ];
  for (const [rel, id, phase, kind, type, status, reason, s, f] of steps) {
    await db.query(
      `INSERT INTO release_steps (release_id, step_id, phase, kind, type, status, reason, attempts, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)`,
      [rel, id, phase, kind, type, status, reason, at(s), at(f)],
    );
  }
  await db.query(`INSERT INTO approvals (release_id, step_id, actor, note, at) VALUES ($1, 'final-code-review', 'carol', 'reviewed #812', $2)`, [rolledBack, at(160)]);
  // Canary analysis: three windows of error rate and p95 latency, the last one failing.
  const windows: Array<[number, number, number, number]> = [[0.004, 0.003, 31.5, 200], [0.006, 0.004, 33.1, 260], [0.031, 0.005, 88.4, 240]];
  for (const [i, [err, base, p95, n]] of windows.entries()) {
    const t = at(300 + i * 60);
    const v = err - base > 0.02 ? 'fail' : 'pass';
    await db.query(`INSERT INTO measurements (release_id, step_id, analysis, metric, provider, verdict, value, baseline, threshold, sample_size, details, at)
      VALUES ($1, 'deploy-backend', 'default', 'error-rate', 'builtin', $2, $3, $4, $5, $6, $7, $8)`, [rolledBack, v, err, base, base + 0.02, n, { reason: `error rate window ${i + 1}` }, t]);
    await db.query(`INSERT INTO measurements (release_id, step_id, analysis, metric, provider, verdict, value, baseline, threshold, sample_size, details, at)
      VALUES ($1, 'deploy-backend', 'default', 'p95-latency', 'builtin', 'pass', $2, 30, 45, $3, '{}', $4)`, [rolledBack, p95, n, t]);
  }
  const weights: Array<[number, Record<string, number>]> = [
    [170, { '1.3.0-abc1234': 95, '1.4.0-def5678': 5 }],
    [330, { '1.3.0-abc1234': 50, '1.4.0-def5678': 50 }],
    [500, { '1.4.0-def5678': 100 }],
    [880, { '1.3.0-abc1234': 100 }],
  ];
  for (const [s, w] of weights) await db.query(`INSERT INTO traffic_history (release_id, env, service, weights, at) VALUES ($1, 'staging', 'api', $2, $3)`, [rolledBack, w, at(s)]);
  const audits: Array<[number, string, string, string, Record<string, unknown>]> = [
    [520, 'bob', 'hypercare.started', 'ok', { durationMs: 1_800_000 }],
    [870, 'bob', 'hypercare.breach', 'error rate 12.0% over the limit of 5.0%', { signal: 'error-rate', value: 0.12, threshold: 0.05 }],
    [871, 'bob', 'rollback.initiated', 'started', { to: '1.3.0-abc1234', from: '1.4.0-def5678', reason: 'hypercare breach' }],
    [880, 'bob', 'rollback.completed', 'ok', { to: '1.3.0-abc1234', from: '1.4.0-def5678', warm: true, switchMs: 41 }],
  ];
  for (const [s, actor, action, result, details] of audits) {
    await db.query(`INSERT INTO audit_log (at, actor, env, release_id, action, result, details) VALUES ($1, $2, 'staging', $3, $4, $5, $6)`, [at(s), actor, rolledBack, action, result, details]);
  }
  return { promoted, rolledBack };
}
