import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { collectReport } from './collect.js';
import { redactKnown } from '../command/index.js';
import { renderReport, type ReportFormat } from './render.js';

/** Writes <ccHome>/reports/<release>.<md|html> (atomically) and returns the paths. */
export async function writeReports(db: Pick<pg.Pool, 'query'>, ccHome: string, releaseId: string, formats: ReportFormat[] = ['md', 'html']): Promise<string[]> {
  const record = await collectReport(db, releaseId);
  const dir = join(ccHome, 'reports');
  // Release records carry evidence (gate output, hostnames, metric values): owner-only.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return formats.map((f) => {
    const file = join(dir, `${releaseId}.${f}`);
    const tmp = `${file}.${process.pid}.tmp`;
    // a secret that reached the record by another way still never reaches the file
    writeFileSync(tmp, redactKnown(renderReport(record, f)), { mode: 0o600 });
    renameSync(tmp, file);
    return file;
  });
}
