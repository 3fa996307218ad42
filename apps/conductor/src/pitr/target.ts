import type pg from 'pg';
import { CcrError } from '../errors.js';
import type { BackupSet } from './pgbackrest.js';
import { getWalMark, type WalMark } from './wal-marks.js';

// `--to "<timestamp>"` or `--to release:<id>`, and the backup set a restore starts from: the
// newest one that ended before the target (recovery replays WAL forward from a backup, never
// backward).

export type RestoreTarget =
  | { kind: 'time'; /** As given, normalised for recovery_target_time (microseconds kept). */ time: string; epochMs: number; description: string }
  | { kind: 'lsn'; lsn: string; releaseId: string; mark: WalMark; description: string };

// A time zone is required: a restore to the wrong hour is a silent disaster.
const TIME_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i;

export function parseTimeTarget(text: string): { time: string; epochMs: number } {
  const m = TIME_RE.exec(text.trim());
  if (!m) {
    throw new CcrError('usage', `--to "${text}" is neither release:<id> nor a timestamp with a time zone, e.g. 2026-03-02T10:15:00Z or "2026-03-02 11:15:00.123456+01:00"`);
  }
  const [, day, clock, zoneRaw] = m as unknown as [string, string, string, string];
  const zone = zoneRaw.toUpperCase() === 'Z' ? '+00:00' : zoneRaw.length === 3 ? `${zoneRaw}:00` : zoneRaw.includes(':') ? zoneRaw : `${zoneRaw.slice(0, 3)}:${zoneRaw.slice(3)}`;
  const [hms = '', frac = ''] = (clock.length === 5 ? `${clock}:00` : clock).split('.');
  // Date.parse rolls 31 February over into March; the fields are checked one by one instead.
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  const [h, mi, sec] = hms.split(':').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  const epochMs = Date.parse(`${day}T${hms}.${(frac + '000').slice(0, 3)}${zone}`);
  if (Number.isNaN(epochMs) || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || probe.getUTCHours() !== h || probe.getUTCMinutes() !== mi || probe.getUTCSeconds() !== sec) {
    throw new CcrError('usage', `--to "${text}" is not a valid date and time`);
  }
  return { time: `${day} ${hms}${frac ? `.${frac}` : ''}${zone}`, epochMs };
}

export async function resolveTarget(to: string, store: Pick<pg.Pool, 'query'>, envName: string, now = Date.now()): Promise<RestoreTarget> {
  const rel = /^release:(.+)$/.exec(to.trim());
  if (rel) {
    const releaseId = rel[1]!;
    const mark = await getWalMark(store, releaseId);
    if (!mark) {
      throw new CcrError('not_found', `release ${releaseId} has no recorded WAL position: it is unknown, or it never reached its final-backup step (npx ccr history --env ${envName})`);
    }
    if (mark.env !== envName) throw new CcrError('usage', `release ${releaseId} ran in environment ${mark.env}, not ${envName}: add --env ${mark.env}`);
    return { kind: 'lsn', lsn: mark.lsn, releaseId, mark, description: `just before release ${releaseId} (WAL ${mark.lsn}, ${mark.serverTime})` };
  }
  const t = parseTimeTarget(to);
  if (t.epochMs > now) throw new CcrError('usage', `--to ${t.time} is in the future: no WAL exists for it yet`);
  return { kind: 'time', time: t.time, epochMs: t.epochMs, description: t.time };
}

/** An LSN ("16/B374D848") as one number, for comparisons. */
export function lsnValue(lsn: string): bigint {
  const m = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!m) throw new CcrError('pitr_failed', `"${lsn}" is not an LSN`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

/**
 * The newest backup that ended before the target. For a time, a backup ending in the target's
 * own second (pgBackRest records whole seconds) is taken only when no earlier one exists.
 */
export function chooseBackupSet(backups: readonly BackupSet[], target: RestoreTarget): BackupSet {
  const usable = backups.filter((b) => !b.error);
  const newestFirst = [...usable].sort((a, b) => b.stoppedAt - a.stoppedAt);
  let chosen: BackupSet | undefined;
  if (target.kind === 'lsn') {
    const t = lsnValue(target.lsn);
    chosen = newestFirst.find((b) => b.lsnStop !== '' && lsnValue(b.lsnStop) <= t);
  } else {
    const second = Math.floor(target.epochMs / 1000);
    chosen = newestFirst.find((b) => b.stoppedAt < second) ?? newestFirst.find((b) => b.stoppedAt === second);
  }
  if (chosen) return chosen;
  const oldest = newestFirst.at(-1);
  throw new CcrError('pitr_failed', oldest
    ? `no backup ended before ${target.description}: the oldest, ${oldest.label}, ended at ${new Date(oldest.stoppedAt * 1000).toISOString()} (WAL ${oldest.lsnStop}); a restore can only go forward from a backup`
    : 'the repository holds no backup yet: npx ccr pitr backup --type full');
}
