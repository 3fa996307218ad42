import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import type { BackupConfig } from '../config/index.js';
import { CcrError, errorMessage } from '../errors.js';
import { getBackup, recordVerification, type BackupRecord, type VerifyResult } from './records.js';
import { createScratch, pgRestore } from './scratch.js';
import { schemaVersion, tableCounts } from './table-counts.js';

// Verification restores the dump into a scratch database and compares it with what was
// counted in the dump's own snapshot: tables, row counts, schema version, then the configured
// sanity queries. The scratch database is dropped; the result and duration are recorded, and
// only a verified backup satisfies the backup.verify gate.

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Problems with the dump file itself: missing, or bytes that are not the ones written. */
export async function checkDumpFile(b: BackupRecord): Promise<string[]> {
  if (!existsSync(b.path)) return [`dump file ${b.path} is missing`];
  const problems: string[] = [];
  const actual = await sha256OfFile(b.path);
  if (actual !== b.sha256) problems.push(`checksum mismatch: ${b.path} has sha256 ${actual}, the backup recorded ${b.sha256}`);
  const side = `${b.path}.sha256`;
  if (!existsSync(side)) problems.push(`checksum file ${side} is missing`);
  else {
    const recorded = readFileSync(side, 'utf8').trim().split(/\s+/)[0];
    if (recorded !== actual) problems.push(`checksum mismatch: ${side} says ${recorded}, the file hashes to ${actual}`);
  }
  return problems;
}

export function compareCounts(source: Record<string, number>, restored: Record<string, number>): string[] {
  const problems: string[] = [];
  for (const [t, n] of Object.entries(source)) {
    if (!(t in restored)) problems.push(`table ${t} is missing from the restore`);
    else if (restored[t] !== n) problems.push(`${t}: ${n} rows in the source snapshot, ${restored[t]} restored`);
  }
  for (const t of Object.keys(restored)) if (!(t in source)) problems.push(`table ${t} is in the restore but was not in the source`);
  return problems;
}

/** A session on the scratch database, opened while pg_restore runs so the comparison does not wait for it. */
async function connectScratch(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'ccr-verify' });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function compareRestored(c: pg.Client, b: BackupRecord, sanityQueries: BackupConfig['sanityQueries'], result: VerifyResult): Promise<void> {
  const counts = await tableCounts(c);
  result.tables = Object.keys(counts).length;
  result.rows = Object.values(counts).reduce((a, n) => a + n, 0);
  result.problems.push(...compareCounts(b.tableCounts, counts));
  result.schemaVersion = await schemaVersion(c);
  if (result.schemaVersion !== b.schemaVersion) result.problems.push(`schema version ${result.schemaVersion} restored, ${b.schemaVersion} in the source`);
  await runSanityQueries(c, sanityQueries, result);
}

/** The configured sanity queries on a restored copy; each must return true. Failures become problems. */
export async function runSanityQueries(c: Pick<pg.Client, 'query'>, sanityQueries: BackupConfig['sanityQueries'], result: Pick<VerifyResult, 'sanity' | 'problems'>): Promise<void> {
  for (const q of sanityQueries) {
    try {
      const r = await c.query({ text: q.sql, rowMode: 'array' });
      const first = (r.rows[0] as unknown[] | undefined)?.[0];
      result.sanity.push(first === true ? { name: q.name, ok: true } : { name: q.name, ok: false, error: `returned ${JSON.stringify(first ?? null)}, expected true` });
    } catch (err) {
      result.sanity.push({ name: q.name, ok: false, error: errorMessage(err) });
    }
  }
  for (const s of result.sanity) if (!s.ok) result.problems.push(`sanity query ${s.name} failed: ${s.error ?? ''}`);
}

export interface VerifyInput {
  store: Pick<pg.Pool, 'query'>;
  id: string;
  /** Any database on the server that gets the scratch copy (the source's server). */
  serverUrl: string;
  config: Pick<BackupConfig, 'sanityQueries' | 'jobs'>;
  progress?: (line: string) => void;
}

export async function verifyBackup(i: VerifyInput): Promise<BackupRecord> {
  const say = i.progress ?? (() => undefined);
  const b = await getBackup(i.store, i.id);
  if (!b) throw new CcrError('not_found', `no backup ${i.id}`);
  if (b.status === 'pruned') throw new CcrError('conflict', `backup ${i.id} was pruned; its dump is gone`);
  const started = performance.now();
  const result: VerifyResult = { ok: false, problems: [], tables: 0, rows: 0, schemaVersion: null, sanity: [] };
  // A missing file needs no scratch database. The checksum re-reads the whole dump, so it runs
  // from the start, alongside the scratch database's creation and then the restore; a mismatch
  // fails the verification whatever the restore shows.
  if (!existsSync(b.path)) result.problems.push(`dump file ${b.path} is missing`);
  else {
    const fileCheck = checkDumpFile(b);
    fileCheck.catch(() => undefined);
    const scratch = await createScratch(i.serverUrl, 'ccr_verify');
    say(`restoring ${b.id} into scratch database ${scratch.name} (pg_restore -j ${i.config.jobs})`);
    const session = connectScratch(scratch.url);
    session.catch(() => undefined);
    try {
      const [fileProblems, restored] = await Promise.allSettled([fileCheck, pgRestore(b.path, scratch.url, { jobs: i.config.jobs, noOwner: true })]);
      if (fileProblems.status === 'rejected') throw fileProblems.reason;
      result.problems.push(...fileProblems.value);
      // A dump that is not the one written proves nothing, whatever its restore looks like.
      if (result.problems.length === 0) {
        if (restored.status === 'rejected') throw restored.reason;
        await compareRestored(await session, b, i.config.sanityQueries, result);
      }
    } catch (err) {
      result.problems.push(errorMessage(err));
    } finally {
      // Closed before the drop, which would otherwise wait for this session to go.
      await session.then((c) => c.end()).catch(() => undefined);
      await scratch.drop().catch((err: Error) => say(`warning: could not drop ${scratch.name}: ${err.message}`));
    }
  }
  result.ok = result.problems.length === 0;
  const ms = Math.round(performance.now() - started);
  say(result.ok ? `backup ${b.id} verified in ${ms} ms: ${result.tables} tables, ${result.rows} rows, schema ${result.schemaVersion}` : `backup ${b.id} FAILED verification: ${result.problems.join('; ')}`);
  return recordVerification(i.store, b.id, result, ms);
}
