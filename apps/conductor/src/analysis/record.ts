import type pg from 'pg';
import type { Measurement } from './metric-provider.js';

/** Stores a measurement with its numbers (measurements table) so the verdict can be explained later. */
export async function recordMeasurement(db: Pick<pg.Pool, 'query'>, releaseId: string, stepId: string, analysis: string, m: Measurement): Promise<void> {
  await db.query(
    `INSERT INTO measurements (release_id, step_id, analysis, metric, provider, verdict, value, baseline, threshold, sample_size, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [releaseId, stepId, analysis, m.metric, m.provider, m.verdict, m.value, m.baseline, m.threshold, m.sampleSize, { ...m.details, reason: m.reason }],
  );
}

export interface StoredMeasurement extends Measurement {
  analysis: string;
  stepId: string;
  at: string;
}

export async function listMeasurements(db: Pick<pg.Pool, 'query'>, releaseId: string): Promise<StoredMeasurement[]> {
  const r = await db.query('SELECT * FROM measurements WHERE release_id = $1 ORDER BY id', [releaseId]);
  return r.rows.map((row) => ({
    analysis: row.analysis,
    stepId: row.step_id,
    at: (row.at as Date).toISOString(),
    metric: row.metric,
    provider: row.provider,
    verdict: row.verdict,
    value: row.value,
    baseline: row.baseline,
    threshold: row.threshold,
    sampleSize: row.sample_size,
    reason: (row.details as { reason?: string }).reason ?? '',
    details: row.details,
  }));
}
