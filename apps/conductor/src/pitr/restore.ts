import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { getBackup } from '../backup/index.js';
import type { BackupConfig } from '../config/index.js';
import { CcrError, errorMessage } from '../errors.js';
import { backupProgress } from './backup.js';
import { pgBinDir, type PitrLayout } from './layout.js';
import { ensureOwnerDir } from './owner-files.js';
import { pgbackrestOk, stanzaInfo, type BackupSet } from './pgbackrest.js';
import { pgCtlStop } from './pg-ctl.js';
import { checkRestoreDir, defaultRestoreDir, freePort } from './restore-place.js';
import { prepareRestoredConfig, startRestored, waitPromoted } from './restored-cluster.js';
import { connectServer, readServer, type ServerFacts } from './server.js';
import { chooseBackupSet, resolveTarget, type RestoreTarget } from './target.js';
import { verifyRestored, type PitrVerification } from './verify-restore.js';
import { ensureTargetArchived, type WalReady } from './wal-ready.js';

// `ccr pitr restore --to <time|release:id>`: pgBackRest restores the newest backup before the
// target into a NEW data directory, recovery replays the archived WAL up to the target and
// promotes, the copy starts on its own port, and the checks of `ccr backup verify` run on it.
// The live cluster is only read (and asked to archive its current WAL segment). A restore that
// fails before the copy is up removes the folder it created.

export interface RestoreInput {
  layout: PitrLayout;
  store: Pick<pg.Pool, 'query'>;
  /** The live server's URL: its credentials and database name serve the copy too (on the new port). */
  databaseUrl: string;
  to: string;
  dataDir?: string;
  port?: number;
  /** Stop the copy after verification (otherwise it keeps running for the operator). */
  stop?: boolean;
  timeoutMs?: number;
  backupConfig: Pick<BackupConfig, 'sanityQueries'>;
  progress?: (line: string) => void;
}

export interface RestoreReport {
  env: string;
  target: { kind: RestoreTarget['kind']; value: string; releaseId: string | null; description: string };
  backupSet: Pick<BackupSet, 'label' | 'type' | 'lsnStop' | 'stoppedAt'>;
  walReady: WalReady | null;
  dataDir: string;
  port: number;
  /** The app database of the copy, without its password. */
  url: string;
  lastReplayedCommit: string | null;
  verification: PitrVerification;
  running: boolean;
  stopCommand: string;
  /** pgbackrest restore; pg_ctl start until connections are accepted; from then until promoted; the checks; all of it. */
  durations: { restoreMs: number; startMs: number; recoveryMs: number; verifyMs: number; totalMs: number };
}

function withPort(url: string, port: number, keepPassword: boolean): string {
  const u = new URL(url);
  u.port = String(port);
  if (!keepPassword) u.password = '';
  return u.toString();
}

async function liveFacts(url: string, say: (l: string) => void): Promise<{ client: pg.Client; facts: ServerFacts } | null> {
  try {
    const client = await connectServer(url, 'pitr restore');
    return { client, facts: await readServer(client) };
  } catch (err) {
    // A restore is often wanted precisely when the live server is gone.
    say(`the live server does not answer (${errorMessage(err)}); restoring from what the repository holds`);
    return null;
  }
}

export async function restorePitr(i: RestoreInput): Promise<RestoreReport> {
  const say = i.progress ?? (() => undefined);
  const started = performance.now();
  const timeoutMs = i.timeoutMs ?? 30 * 60_000;
  const { layout } = i;
  const target = await resolveTarget(i.to, i.store, layout.envName);
  const dataDir = checkRestoreDir(i.dataDir ?? defaultRestoreDir(layout), layout);
  const live = await liveFacts(i.databaseUrl, say);
  let walReady: WalReady | null = null;
  let info;
  try {
    if (live && i.port === live.facts.port) throw new CcrError('usage', `--port ${i.port} is the live server's port: the copy needs its own`);
    info = await stanzaInfo(layout);
    if (target.kind === 'lsn' && target.mark.systemIdentifier && info.systemIds.length && !info.systemIds.includes(target.mark.systemIdentifier)) {
      throw new CcrError('pitr_failed', `release ${target.releaseId} ran on cluster ${target.mark.systemIdentifier}, but stanza ${layout.stanza} holds cluster(s) ${info.systemIds.join(', ')}`);
    }
    if (live) walReady = await ensureTargetArchived(live.client, target, Math.max(120_000, 3 * layout.config.archiveTimeout), say);
  } finally {
    await live?.client.end().catch(() => undefined);
  }
  const set = chooseBackupSet(info.backups, target);
  const port = i.port ?? (await freePort());
  const owner = { uid: layout.ownerUid, gid: layout.ownerGid };
  const major = live?.facts.major ?? Number(/^(\d+)/.exec(info.archive?.id ?? '')?.[1] ?? 15);
  const ctl = { binDir: pgBinDir(layout, major), as: layout.runAs };
  const created = ensureOwnerDir(dataDir, owner);
  const restoreStarted = performance.now();
  let up = false;
  try {
    say(`restoring backup ${set.label} (${set.type}) into ${dataDir}, then recovering to ${target.description}`);
    const targetArgs = target.kind === 'lsn' ? ['--type=lsn', `--target=${target.lsn}`, '--target-exclusive'] : ['--type=time', `--target=${target.time}`];
    await pgbackrestOk(layout, 'restore', 'restore', [
      `--pg1-path=${dataDir}`, `--set=${set.label}`, ...targetArgs, '--target-action=promote', '--archive-mode=off',
    ], { logLevel: 'detail', onLine: backupProgress(say, 'restore'), timeoutMs });
    const restoreMs = Math.round(performance.now() - restoreStarted);
    prepareRestoredConfig(dataDir, port, owner, live?.facts ?? null);
    say(`starting the copy on port ${port}`);
    up = true;
    const startStarted = performance.now();
    await startRestored(ctl, dataDir, timeoutMs);
    const startMs = Math.round(performance.now() - startStarted);
    const url = withPort(i.databaseUrl, port, true);
    const promoted = await waitPromoted(url, dataDir, timeoutMs, say);
    say(`recovery reached the target and promoted the copy in ${promoted.recoveryMs} ms; verifying`);
    const verifyStarted = performance.now();
    const ref = target.kind === 'lsn' && target.mark.backupId ? await getBackup(i.store, target.mark.backupId) : null;
    const verification = await verifyRestored(url, ref ? { backup: ref, exact: target.kind === 'lsn' && target.mark.exact } : null, i.backupConfig.sanityQueries);
    const verifyMs = Math.round(performance.now() - verifyStarted);
    const stopCommand = `${layout.runAs ? `runuser -u ${layout.runAs.name} -- ` : ''}${ctl.binDir}/pg_ctl stop -D ${dataDir}`;
    if (i.stop) {
      await pgCtlStop(ctl, dataDir);
      up = false;
    }
    return {
      env: layout.envName,
      target: { kind: target.kind, value: target.kind === 'lsn' ? target.lsn : target.time, releaseId: target.kind === 'lsn' ? target.releaseId : null, description: target.description },
      backupSet: { label: set.label, type: set.type, lsnStop: set.lsnStop, stoppedAt: set.stoppedAt },
      walReady, dataDir, port, url: withPort(i.databaseUrl, port, false), lastReplayedCommit: promoted.lastReplayedCommit, verification,
      running: up, stopCommand,
      durations: { restoreMs, startMs, recoveryMs: promoted.recoveryMs, verifyMs, totalMs: Math.round(performance.now() - started) },
    };
  } catch (err) {
    if (up) await pgCtlStop(ctl, dataDir, 'immediate').catch(() => undefined);
    // Only what this restore created goes: the folders it made, or the contents of the empty one it was given.
    if (created.length) rmSync(created[0]!, { recursive: true, force: true });
    else for (const f of readdirSync(dataDir)) rmSync(join(dataDir, f), { recursive: true, force: true });
    throw err;
  }
}
