import pg from 'pg';
import { CcrError } from '../errors.js';
import { archiveCommand } from './conf-file.js';
import type { PitrLayout } from './layout.js';

// What PITR needs to know about the live server, read in one round trip, and the settings
// setup changes there (as data: name, old value, new value, reload or restart).

export interface ServerFacts {
  version: string;
  major: number;
  superuser: boolean;
  /** null when the role may not read it (needs superuser or pg_read_all_settings). */
  dataDirectory: string | null;
  port: number;
  socketDirs: string[];
  listenAddresses: string | null;
  configFile: string | null;
  hbaFile: string | null;
  identFile: string | null;
  inRecovery: boolean;
  settings: Record<string, { value: string; pendingRestart: boolean }>;
}

export async function connectServer(url: string, what: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'ccr-pitr', connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (err) {
    throw new CcrError('pitr_failed', `${what}: cannot connect to the database server: ${(err as Error).message}`, { cause: err });
  }
  return c;
}

const SETTINGS = ['archive_mode', 'archive_command', 'wal_level', 'archive_timeout', 'data_directory', 'port', 'unix_socket_directories', 'listen_addresses', 'config_file', 'hba_file', 'ident_file'];

export async function readServer(c: Pick<pg.Client, 'query'>): Promise<ServerFacts> {
  const r = await c.query<{ num: string; ver: string; su: boolean; rec: boolean; settings: Array<{ name: string; setting: string; pending_restart: boolean }> }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS ver,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su, pg_is_in_recovery() AS rec,
            (SELECT json_agg(json_build_object('name', name, 'setting', setting, 'pending_restart', pending_restart))
               FROM pg_settings WHERE name = ANY($1)) AS settings`,
    [SETTINGS],
  );
  const row = r.rows[0]!;
  const settings: ServerFacts['settings'] = {};
  for (const s of row.settings ?? []) settings[s.name] = { value: s.setting, pendingRestart: s.pending_restart };
  const get = (n: string) => settings[n]?.value ?? null;
  return {
    version: row.ver, major: Math.floor(Number(row.num) / 10_000), superuser: row.su, inRecovery: row.rec,
    dataDirectory: get('data_directory'), port: Number(get('port') ?? 5432),
    socketDirs: (get('unix_socket_directories') ?? '').split(',').map((d) => d.trim()).filter(Boolean),
    listenAddresses: get('listen_addresses'), configFile: get('config_file'), hbaFile: get('hba_file'), identFile: get('ident_file'), settings,
  };
}

export interface SettingChange {
  name: string;
  from: string;
  to: string;
  /** reload: pg_reload_conf() applies it; restart: only a server restart does. */
  applies: 'reload' | 'restart';
}

/** ALTER SYSTEM changes that make the server archive into the stanza; [] when it already does. */
export function plannedChanges(facts: ServerFacts, layout: PitrLayout): SettingChange[] {
  const out: SettingChange[] = [];
  const cur = (n: string) => facts.settings[n]?.value ?? '';
  if (cur('wal_level') === 'minimal') out.push({ name: 'wal_level', from: 'minimal', to: 'replica', applies: 'restart' });
  if (cur('archive_mode') === 'off') out.push({ name: 'archive_mode', from: 'off', to: 'on', applies: 'restart' });
  const cmd = archiveCommand(layout);
  if (cur('archive_command') !== cmd) out.push({ name: 'archive_command', from: cur('archive_command'), to: cmd, applies: 'reload' });
  const timeout = String(Math.max(1, Math.round(layout.config.archiveTimeout / 1000)));
  if (cur('archive_timeout') !== timeout) out.push({ name: 'archive_timeout', from: `${cur('archive_timeout')}s`, to: `${timeout}s`, applies: 'reload' });
  return out;
}

export async function applyChanges(c: pg.Client, changes: readonly SettingChange[]): Promise<void> {
  if (!changes.length) return;
  try {
    for (const ch of changes) await c.query(`ALTER SYSTEM SET ${ch.name} = ${c.escapeLiteral(ch.to)}`);
    await c.query('SELECT pg_reload_conf()');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CcrError('pitr_failed', `${code === '42501' ? 'permission denied: ALTER SYSTEM needs a superuser (or GRANT ALTER SYSTEM): ' : 'ALTER SYSTEM failed: '}${(err as Error).message}`, { cause: err });
  }
}

/** Settings still waiting for a restart, after the reload. */
export function restartPending(facts: ServerFacts): string[] {
  return Object.entries(facts.settings).filter(([, s]) => s.pendingRestart).map(([n]) => n);
}
