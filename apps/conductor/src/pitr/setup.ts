import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EnvironmentConfig } from '../config/index.js';
import { CcrError } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { isOurArchiveCommand, renderConf } from './conf-file.js';
import { pgBinDir, resolveLayout, type PitrLayout } from './layout.js';
import { ensureOwnerDir, unreachableFolder, writeOwnerFile } from './owner-files.js';
import { pgbackrest, explainPgbackrest, pgbackrestOk } from './pgbackrest.js';
import { pgCtlRestart } from './pg-ctl.js';
import { applyChanges, connectServer, plannedChanges, readServer, type ServerFacts, type SettingChange } from './server.js';

// `ccr pitr setup`: the stanza, pgBackRest's configuration and the server's archive_command,
// for a server the user runs on this host. Idempotent: a second run changes nothing and says so.
// Every change is reported: folders created, files written, ALTER SYSTEM settings (and whether
// they need a restart), the stanza.

export interface SetupInput {
  env: EnvironmentConfig;
  envName: string;
  paths: CcPaths;
  databaseUrl: string;
  /** Restart the server with pg_ctl when a setting needs it (archive_mode, wal_level). */
  restart?: boolean;
  /** Replace an archive_command that is not ours (otherwise refused). */
  replaceArchiveCommand?: boolean;
  progress?: (line: string) => void;
}

export interface SetupReport {
  env: string;
  stanza: string;
  repoPath: string;
  configFile: string;
  /** Folders created (0700, owned by the data directory's owner). */
  createdDirs: string[];
  files: Array<{ path: string; mode: '0600'; written: boolean }>;
  /** ALTER SYSTEM statements run, old and new values. */
  settings: SettingChange[];
  restartNeeded: boolean;
  restarted: boolean;
  /** The server's log after a restart by setup (pg_ctl -l). */
  restartLog: string | null;
  stanzaCreated: boolean;
  /** `pgbackrest check` once archiving is live; null while a restart is pending. */
  check: { ok: boolean; detail: string } | null;
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

function refuseServer(facts: ServerFacts, layout: PitrLayout, replace: boolean): void {
  if (!facts.superuser) throw new CcrError('pitr_failed', 'the role in databaseUrl is not a superuser: setup runs ALTER SYSTEM and pgBackRest needs a superuser to back up');
  if (facts.inRecovery) throw new CcrError('pitr_failed', 'the server is a standby (in recovery): set PITR up on the primary');
  if (!facts.dataDirectory) throw new CcrError('pitr_failed', 'cannot read the server\'s data_directory (needs superuser or pg_read_all_settings)');
  if (!sameDir(facts.dataDirectory, layout.pgData)) {
    throw new CcrError('pitr_failed', `pitr.pgData is ${layout.pgData}, but the server at databaseUrl runs from ${facts.dataDirectory}: they must be the same cluster`);
  }
  const current = facts.settings['archive_command']?.value ?? '';
  const unset = current === '' || current === '(disabled)';
  if (!unset && !isOurArchiveCommand(layout, current) && !replace) {
    throw new CcrError('usage', `the server already has archive_command = '${current}'; replacing it would stop that archiving. Add --replace-archive-command to use pgBackRest (stanza ${layout.stanza}) instead`, { details: { archiveCommand: current } });
  }
  for (const p of [layout.configFile, join(layout.repoPath, 'x')]) {
    const blocked = unreachableFolder(p, { uid: layout.ownerUid, gid: layout.ownerGid });
    if (blocked) throw new CcrError('pitr_failed', `${layout.runAs?.name ?? 'the data directory\'s owner'} cannot enter ${blocked}, on the way to ${p}; the server's archive-push runs as that user. Choose another pitr path or open that folder to it`);
  }
}

export async function setupPitr(i: SetupInput): Promise<SetupReport> {
  const say = i.progress ?? (() => undefined);
  const layout = resolveLayout(i.env, i.envName, i.paths);
  const owner = { uid: layout.ownerUid, gid: layout.ownerGid };
  let c = await connectServer(i.databaseUrl, 'pitr setup');
  try {
    let facts = await readServer(c);
    refuseServer(facts, layout, i.replaceArchiveCommand === true);
    const createdDirs = [layout.repoPath, layout.logPath, layout.lockPath, dirname(layout.configFile)].flatMap((d) => ensureOwnerDir(d, owner));
    const conf = renderConf(layout, { port: facts.port, socketPath: facts.socketDirs[0] ?? '/var/run/postgresql' });
    const written = writeOwnerFile(layout.configFile, conf, owner);
    say(`${written ? 'wrote' : 'unchanged:'} ${layout.configFile} (0600)`);
    const settings = plannedChanges(facts, layout);
    await applyChanges(c, settings);
    for (const s of settings) say(`ALTER SYSTEM SET ${s.name} = '${s.to}' (was '${s.from}'; ${s.applies === 'restart' ? 'needs a restart' : 'applied by reload'})`);
    const restartFor = new Set([...settings.filter((s) => s.applies === 'restart').map((s) => s.name), ...['archive_mode', 'wal_level'].filter((n) => facts.settings[n]?.pendingRestart)]);
    let restarted = false;
    let restartLog: string | null = null;
    if (restartFor.size && i.restart) {
      restartLog = join(layout.logPath, `${layout.stanza}-postgresql.log`);
      say(`restarting the server (pg_ctl restart -m fast) for ${[...restartFor].join(', ')}; its log: ${restartLog}`);
      await c.end().catch(() => undefined);
      await pgCtlRestart({ binDir: pgBinDir(layout, facts.major), as: layout.runAs }, layout.pgData, restartLog);
      restarted = true;
      c = await connectServer(i.databaseUrl, 'pitr setup after the restart');
      facts = await readServer(c);
    }
    const restartNeeded = restartFor.size > 0 && !restarted;
    say(`creating stanza ${layout.stanza} in ${layout.repoPath}`);
    const created = await pgbackrestOk(layout, 'creating the stanza', 'stanza-create', [], { logLevel: 'info' });
    const stanzaCreated = !/already exists/.test(created.stdout);
    let check: SetupReport['check'] = null;
    if (!restartNeeded) {
      say('pgbackrest check: archiving a WAL segment through the new archive_command');
      const r = await pgbackrest(layout, 'check', [], { logLevel: 'info' });
      check = r.code === 0 ? { ok: true, detail: 'WAL archiving works' } : { ok: false, detail: explainPgbackrest(r) };
    }
    return {
      env: i.envName, stanza: layout.stanza, repoPath: layout.repoPath, configFile: layout.configFile, createdDirs,
      files: [{ path: layout.configFile, mode: '0600', written }], settings, restartNeeded, restarted, restartLog, stanzaCreated, check,
    };
  } finally {
    await c.end().catch(() => undefined);
  }
}

