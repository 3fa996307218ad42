import { CcrError } from '../errors.js';
import type { PitrLayout } from './layout.js';
import { pgbackrestOk, stanzaInfo, type BackupSet } from './pgbackrest.js';

// `ccr pitr backup`: a full or incremental pgBackRest backup, with progress read from
// pgBackRest's per-file log lines ("backup file … (8KB, 42.17%)"), reported every 10 %.

export type PitrBackupType = 'full' | 'incr';

export interface PitrBackupResult {
  backup: BackupSet;
  /** pgBackRest turned an incremental without a prior full into a full. */
  promotedToFull: boolean;
  durationMs: number;
}

/** A progress reporter: pgBackRest's milestones, and the percentage in 10 % steps. */
export function backupProgress(say: (l: string) => void, verb: string): (line: string) => void {
  let shown = -1;
  return (line) => {
    const pct = new RegExp(`${verb} file .*\\(([^,]+), (\\d+(?:\\.\\d+)?)%\\)`).exec(line);
    if (pct) {
      const step = Math.floor(Number(pct[2]) / 10) * 10;
      if (step > shown) {
        shown = step;
        say(`${verb}: ${step}%`);
      }
      return;
    }
    const info = / INFO: (.*)$/.exec(line)?.[1] ?? / WARN: (.*)$/.exec(line)?.[1];
    if (info && !/command (begin|end)/.test(info)) say(info);
  };
}

export async function backupPitr(layout: PitrLayout, type: PitrBackupType, progress: (l: string) => void = () => undefined): Promise<PitrBackupResult> {
  const started = performance.now();
  const r = await pgbackrestOk(layout, `${type} backup`, 'backup', [`--type=${type}`], { logLevel: 'detail', onLine: backupProgress(progress, 'backup') });
  const label = /new backup label = (\S+)/.exec(r.stdout)?.[1];
  const info = await stanzaInfo(layout);
  const backup = label ? info.backups.find((b) => b.label === label) : info.backups.at(-1);
  if (!backup) throw new CcrError('pitr_failed', `pgbackrest reported backup ${label ?? '(no label)'}, but the repository does not list it`);
  return { backup, promotedToFull: type === 'incr' && backup.type === 'full', durationMs: Math.round(performance.now() - started) };
}
