import type pg from 'pg';
import { refreshMetricsFile } from '../metrics/textfile.js';
import { writeReports } from './write.js';

/**
 * What every release run leaves behind however it ended (promoted, rolled back, failed): the
 * release record in .cc/reports and a fresh .cc/metrics/ccr.prom. Best effort, never throws:
 * a full disk must not turn a good rollback into an error.
 */
export async function recordAfterRun(db: Pick<pg.Pool, 'query'>, ccHome: string, releaseId: string, warn: (m: string) => void): Promise<void> {
  await writeReports(db, ccHome, releaseId).catch((err: Error) => warn(`could not write the release record: ${err.message}`));
  await refreshMetricsFile(db, ccHome, warn);
}
