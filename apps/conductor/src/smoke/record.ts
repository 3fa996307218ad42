import type pg from 'pg';
import type { SmokeReport } from './types.js';

/** Stores one row per check (skipped ones included, with their reason) in smoke_results. */
export async function recordSmoke(db: Pick<pg.Pool, 'query'>, releaseId: string | null, report: SmokeReport): Promise<void> {
  if (report.checks.length === 0) return;
  const values: unknown[] = [];
  const rows = report.checks.map((c, i) => {
    values.push(releaseId, report.version, c.name, c.ok, c.durationMs, c.error ?? null);
    const b = i * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
  });
  await db.query(`INSERT INTO smoke_results (release_id, version, check_name, ok, duration_ms, error) VALUES ${rows.join(', ')}`, values);
}
