import pg from 'pg';
import { compareCounts, runSanityQueries, schemaVersion, tableCounts, type BackupRecord, type VerifyResult } from '../backup/index.js';
import type { BackupConfig } from '../config/index.js';
import { errorMessage } from '../errors.js';

// The checks of `ccr backup verify` (backup/verify.ts), on the app database of a restored
// cluster: tables and row counts against a reference, schema version, the sanity queries.
// The reference of `--to release:<id>` is that release's pg_dump backup, whose snapshot is the
// recorded WAL position. When the mark is exact (nothing was written or running while the
// snapshot was taken), the rows must match to the row; otherwise row differences are writes that
// raced the snapshot and are listed as drift, while the table list and schema version must still
// match. A time target has no reference: the tables, rows and schema version are reported, and
// the sanity queries decide.

export interface PitrVerification extends VerifyResult {
  database: string;
  reference: { backupId: string; exact: boolean } | null;
  counts: Record<string, number>;
  /** Row differences from an inexact reference (not failures). */
  drift: string[];
}

const zeroed = (counts: Record<string, number>) => Object.fromEntries(Object.keys(counts).map((t) => [t, 0]));
const only = (counts: Record<string, number>, keep: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([t]) => t in keep));

export async function verifyRestored(url: string, reference: { backup: Pick<BackupRecord, 'id' | 'tableCounts' | 'schemaVersion'>; exact: boolean } | null, sanityQueries: BackupConfig['sanityQueries']): Promise<PitrVerification> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  const result: PitrVerification = {
    ok: false, problems: [], tables: 0, rows: 0, schemaVersion: null, sanity: [], database, counts: {}, drift: [],
    reference: reference ? { backupId: reference.backup.id, exact: reference.exact } : null,
  };
  const c = new pg.Client({ connectionString: url, application_name: 'ccr-pitr-verify', connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const counts = await tableCounts(c);
    result.counts = counts;
    result.tables = Object.keys(counts).length;
    result.rows = Object.values(counts).reduce((a, n) => a + n, 0);
    result.schemaVersion = await schemaVersion(c);
    if (reference) {
      const ref = reference.backup;
      if (reference.exact) result.problems.push(...compareCounts(ref.tableCounts, counts));
      else {
        result.problems.push(...compareCounts(zeroed(ref.tableCounts), zeroed(counts)));
        result.drift.push(...compareCounts(only(ref.tableCounts, counts), only(counts, ref.tableCounts)));
      }
      if (result.schemaVersion !== ref.schemaVersion) result.problems.push(`schema version ${result.schemaVersion} restored, ${ref.schemaVersion} in backup ${ref.id}`);
    }
    await runSanityQueries(c, sanityQueries, result);
  } catch (err) {
    result.problems.push(`cannot check database ${database} of the restored cluster: ${errorMessage(err)}`);
  } finally {
    await c.end().catch(() => undefined);
  }
  result.ok = result.problems.length === 0;
  return result;
}
