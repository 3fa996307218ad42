import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { conductorMetricsText } from './conductor-metrics.js';

// How the conductor's metrics reach Prometheus: ccr is a short-lived CLI, so it cannot be
// scraped. After each release run (and at the end of hypercare and the report step) it
// rewrites <CCR_HOME>/metrics/ccr.prom, and node_exporter's textfile collector serves it
// (`node_exporter --collector.textfile.directory=.cc/metrics`; deploy/prometheus/prometheus.yml,
// job ccr). The write is atomic (temp file + rename in the same folder), so a scrape never
// reads half a file.

export const METRICS_FILE = 'ccr.prom';

export function metricsDir(ccHome: string): string {
  return join(ccHome, 'metrics');
}

/** Regenerates the metrics file from the store; returns its path. */
export async function writeMetricsFile(db: Pick<pg.Pool, 'query'>, ccHome: string, now = new Date()): Promise<string> {
  const dir = metricsDir(ccHome);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, METRICS_FILE);
  const tmp = join(dir, `.${METRICS_FILE}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, await conductorMetricsText(db, now), { mode: 0o644 });
  renameSync(tmp, file);
  return file;
}

/** Best effort: metrics never fail a release; the reason is handed to `warn`. */
export async function refreshMetricsFile(db: Pick<pg.Pool, 'query'>, ccHome: string, warn: (m: string) => void = () => undefined): Promise<void> {
  try {
    await writeMetricsFile(db, ccHome);
  } catch (err) {
    warn(`could not write the conductor metrics file: ${(err as Error).message}`);
  }
}
