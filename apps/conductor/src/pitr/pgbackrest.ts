import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CcrError } from '../errors.js';
import type { PitrLayout } from './layout.js';
import { run, type RunResult } from './run.js';

// pgBackRest, always with this environment's configuration file and stanza, so nothing from
// /etc/pgbackrest leaks in and two environments on one host never mix.

export function pgbackrestBin(): string {
  const dir = (process.env['PATH'] ?? '').split(delimiter).find((d) => d && existsSync(join(d, 'pgbackrest')));
  if (!dir) throw new CcrError('pitr_failed', 'pgbackrest is not installed: apt-get install pgbackrest (Debian), or put it on PATH');
  return join(dir, 'pgbackrest');
}

export interface PgbackrestOptions {
  /** Console log level: info for a summary, detail for one line per file (progress). */
  logLevel?: 'warn' | 'info' | 'detail';
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export function pgbackrest(layout: PitrLayout, command: string, args: readonly string[] = [], o: PgbackrestOptions = {}): Promise<RunResult> {
  const all = [`--config=${layout.configFile}`, `--stanza=${layout.stanza}`, `--log-level-console=${o.logLevel ?? 'warn'}`, ...args, command];
  return run(pgbackrestBin(), all, { as: layout.runAs, ...(o.onLine ? { onLine: (l: string) => o.onLine!(l) } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
}

/** pgBackRest's own error lines ("ERROR: [082]: ..."), or the tail of its output. */
export function explainPgbackrest(r: RunResult): string {
  const text = `${r.stderr}\n${r.stdout}`;
  const errors = [...text.matchAll(/^(?:.*?\s)?ERROR: \[(\d+)\]: (.*(?:\n {6,}.*)*)$/gm)].map((m) => `[${m[1]}] ${m[2]!.replace(/\n\s+/g, ' ')}`);
  if (errors.length) return errors.join('; ');
  if (r.timedOut) return 'timed out';
  return text.trim().split('\n').slice(-4).join(' / ') || `exit code ${r.code}`;
}

export async function pgbackrestOk(layout: PitrLayout, what: string, command: string, args: readonly string[] = [], o: PgbackrestOptions = {}): Promise<RunResult> {
  const r = await pgbackrest(layout, command, args, o);
  if (r.code !== 0) throw new CcrError('pitr_failed', `${what}: pgbackrest ${command} failed: ${explainPgbackrest(r)}`, { details: { exitCode: r.code } });
  return r;
}

export interface BackupSet {
  label: string;
  type: 'full' | 'diff' | 'incr';
  prior: string | null;
  /** Unix seconds. */
  startedAt: number;
  stoppedAt: number;
  lsnStart: string;
  lsnStop: string;
  walStart: string;
  walStop: string;
  sizeBytes: number;
  repoBytes: number;
  error: boolean;
}

export interface StanzaInfo {
  status: { code: number; message: string };
  /** system-id as a string: it does not fit a JavaScript number. */
  systemIds: string[];
  archive: { id: string; min: string | null; max: string | null } | null;
  backups: BackupSet[];
}

type RawInfo = Array<{
  status: { code: number; message: string };
  db?: Array<{ 'system-id': string }>;
  archive?: Array<{ id: string; min: string | null; max: string | null }>;
  backup?: Array<{
    label: string; type: BackupSet['type']; prior: string | null; error?: boolean;
    timestamp: { start: number; stop: number }; lsn?: { start: string; stop: string };
    archive: { start: string; stop: string }; info: { size: number; repository: { size: number } };
  }>;
}>;

export function parseInfo(json: string): StanzaInfo {
  // Quote the 64-bit system identifiers before JSON.parse rounds them.
  const raw = JSON.parse(json.replace(/"system-id":\s*(\d+)/g, '"system-id":"$1"')) as RawInfo;
  const s = raw[0];
  if (!s) throw new CcrError('pitr_failed', 'pgbackrest info returned no stanza');
  const archives = s.archive ?? [];
  return {
    status: s.status,
    systemIds: (s.db ?? []).map((d) => String(d['system-id'])),
    archive: archives.length ? archives[archives.length - 1]! : null,
    backups: (s.backup ?? []).map((b) => ({
      label: b.label, type: b.type, prior: b.prior, startedAt: b.timestamp.start, stoppedAt: b.timestamp.stop,
      lsnStart: b.lsn?.start ?? '', lsnStop: b.lsn?.stop ?? '', walStart: b.archive.start, walStop: b.archive.stop,
      sizeBytes: b.info.size, repoBytes: b.info.repository.size, error: b.error === true,
    })),
  };
}

export async function stanzaInfo(layout: PitrLayout): Promise<StanzaInfo> {
  const r = await pgbackrestOk(layout, 'reading the repository', 'info', ['--output=json']);
  return parseInfo(r.stdout);
}
