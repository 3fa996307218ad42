import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { isAlive, launch } from '../../command/index.js';
import { commandLine } from '../../supervisor/process-control.js';
import { CONDUCTOR_ROOT } from '../../conductor-root.js';
import { loadRollout } from '../../config/index.js';
import { CcrError, errorMessage } from '../../errors.js';
import { ccPaths, type CcPaths } from '../../paths.js';
import { SupervisorClient } from '../../runtime/control-client.js';
import { LocalRuntime } from '../../runtime/local-runtime.js';
import { LogTailer } from '../../runtime/log-tail.js';
import { databaseUrlFile, readRuntime } from '../../runtime/runtime-state.js';
import type { RuntimeStatus } from '../../runtime/status.js';
import { conductorKeeper, type RecordAccess } from '../../rollback/traffic-reconcile.js';
import { currentActor, openStorePool } from '../../store/index.js';
import { storeUrl } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

interface UpCliOptions extends GlobalOptions {
  port: string;
  host: string;
  adminPort: string;
  instances: string;
  release?: string;
  detach?: boolean;
  daemon?: boolean;
  verbose?: boolean;
  controller?: boolean;
}

/** The environments of rollout.yaml the local runtime serves (target local), for its controller. */
function localEnvironments(say: (line: string) => void): string[] {
  try {
    const { config } = loadRollout();
    return Object.entries(config.environments).filter(([, e]) => e.target.type === 'local').map(([n]) => n);
  } catch (err) {
    say(`no release controller: ${errorMessage(err)}`);
    return [];
  }
}

const CCR_BIN = join(CONDUCTOR_ROOT, 'bin', 'ccr.mjs');

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CcrError('usage', `--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function summary(paths: CcPaths, s: RuntimeStatus): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r && !r.startsWith('..') ? r : p;
  };
  const count = s.versions.find((v) => v.version === s.activeVersion)?.instances.length ?? 0;
  return [
    '',
    `CC Webapp is up: release ${s.activeVersion ?? '?'} with ${count} API instance(s) behind the router`,
    `  app:          ${s.urls?.app ?? '?'}/`,
    `  health:       ${s.urls?.app ?? '?'}/health`,
    `  version:      ${s.urls?.app ?? '?'}/version`,
    `  router admin: ${s.urls?.routerAdmin ?? '?'}  (bearer token in ${rel(join(paths.secrets, 'router-admin-token'))})`,
    `  database:     ${s.database?.url ?? '?'} (${s.database?.mode ?? '?'})`,
    '',
    'Create the first invite code:',
    `  DATABASE_URL="$(cat ${rel(databaseUrlFile(paths))})" npm run admin -- create-invites --count 1`,
    '',
    'Status: npx ccr status    Stop: npx ccr down',
  ].join('\n');
}

/** What is down in a live runtime, one line each (empty when everything runs). */
function downParts(paths: CcPaths, s: RuntimeStatus): string[] {
  const down: string[] = [];
  const db = readRuntime(paths)?.database;
  if (db?.mode === 'embedded' && db.pid !== null && !isAlive(db.pid)) down.push(`the embedded PostgreSQL (pid ${db.pid}) is down`);
  if (s.router && !s.router.up) down.push(`the router is down: ${s.router.problem ?? 'no answer'}`);
  for (const v of s.versions) for (const i of v.instances) if (i.state === 'crashed') down.push(`instance ${i.id} of ${v.version} crashed (${i.lastExit?.signal ?? `code ${i.lastExit?.code ?? '?'}`}); a restart is pending`);
  return down;
}

/**
 * `ccr up` while a runtime already runs: not an error. Says what is down, has the runtime
 * restart it now, and shows the result; a runtime that does not answer gets the exact commands.
 */
async function upWhileRunning(paths: CcPaths, opts: UpCliOptions, pid: number): Promise<void> {
  const client = SupervisorClient.connect(paths);
  let status: RuntimeStatus;
  try {
    status = await client.status();
  } catch (err) {
    throw new CcrError('lock_held', `a runtime is running (pid ${pid}) but its control API does not answer; stop it with \`npx ccr down\`, then start it again with \`npx ccr up --detach\``, { cause: err });
  }
  const down = downParts(paths, status);
  for (const line of down) progress(opts, `ccr: down: ${line}`);
  const repaired = down.length ? await client.repair() : [];
  for (const line of repaired) progress(opts, `ccr: repaired: ${line}`);
  if (repaired.length) status = await client.status();
  const still = downParts(paths, status);
  emit(opts, { ...status, alreadyRunning: true, down, repaired, stillDown: still }, () =>
    [
      down.length ? `the runtime (pid ${pid}) was already running; ${repaired.length ? 'repaired what was down' : 'nothing to repair'}` : `the runtime (pid ${pid}) is already running and nothing is down`,
      ...still.map((l) => `still down: ${l} (see \`npx ccr status\`; \`npx ccr down && npx ccr up --detach\` restarts everything)`),
      summary(paths, status),
    ].join('\n'),
  );
}

/** The pid of a live runtime recorded under .cc/runtime, or null. */
function liveRuntime(paths: CcPaths): { pid: number; ready: boolean } | null {
  const rt = readRuntime(paths);
  if (!rt || rt.pid === process.pid || !isAlive(rt.pid) || !(commandLine(rt.pid) ?? 'ccr').includes('ccr')) return null;
  return { pid: rt.pid, ready: rt.phase === 'ready' };
}

/**
 * The conductor's record of the environment this runtime serves (the rollout's local-target
 * environment, the default one first), or null without a rollout.yaml or a reachable store.
 */
function recordAccess(paths: CcPaths): () => Promise<RecordAccess | null> {
  return async () => {
    let found: { name: string; url: string };
    try {
      const { config } = loadRollout();
      const names = [config.defaultEnvironment, ...Object.keys(config.environments)];
      const name = names.find((n) => config.environments[n]?.target.type === 'local');
      if (!name) return null;
      found = { name, url: storeUrl(config.environments[name]!, paths) };
    } catch {
      return null;
    }
    const db = await openStorePool(found.url);
    return { db, env: found.name, actor: currentActor(), close: () => db.end() };
  };
}

async function runInProcess(paths: CcPaths, opts: UpCliOptions, foreground: boolean): Promise<void> {
  const say = (line: string) => (foreground ? progress(opts, `ccr: ${line}`) : process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  mkdirSync(paths.logs, { recursive: true });
  const tailer = foreground && !opts.json ? new LogTailer(paths.logs, (l) => process.stdout.write(`${l}\n`), opts.verbose === true) : null;
  tailer?.start();
  const runtime = await LocalRuntime.start({
    paths,
    port: int('port', opts.port, 0, 65535),
    host: opts.host,
    adminPort: int('admin-port', opts.adminPort, 0, 65535),
    instances: int('instances', opts.instances, 1, 16),
    ...(opts.release ? { version: opts.release } : {}),
    env: process.env,
    keeper: conductorKeeper(recordAccess(paths)),
    onProgress: say,
    onEvent: (e) => say(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`),
    controllerEnvs: opts.controller === false ? [] : localEnvironments(say),
  });
  const status = await runtime.status();
  if (foreground) emit(opts, status, () => `${summary(paths, status)}\nPress Ctrl-C to stop everything.\n`);
  else say('runtime ready');
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals > 1 && foreground) {
      process.stderr.write('ccr: stopping immediately; run `npx ccr down` to reap what is left\n');
      process.exit(130);
    }
    say(`${signal}: stopping the router, the instances and the database${foreground ? ' (Ctrl-C again to force)' : ''}`);
    void runtime.shutdown();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  await runtime.done;
  tailer?.stop();
  say('stopped');
  process.exit(0);
}

/** Starts `ccr up --daemon` in its own session and waits until it is ready or gave up. */
async function detach(paths: CcPaths, opts: UpCliOptions, argv: string[]): Promise<void> {
  const logFile = join(paths.logs, 'runtime.log');
  const child = launch({ argv: [process.execPath, CCR_BIN, 'up', ...argv.filter((a) => a !== '--detach' && a !== '--json'), '--daemon'] }, { output: { appendTo: logFile } });
  child.unref();
  const pid = child.pid;
  progress(opts, `ccr: runtime starting in the background (pid ${pid}, log ${logFile})`);
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    const rt = readRuntime(paths);
    if (rt?.pid === pid && rt.phase === 'ready') {
      const status = await SupervisorClient.connect(paths).status();
      emit(opts, status, () => summary(paths, status));
      return;
    }
    if (!isAlive(pid)) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      throw new CcrError('supervisor_failed', `the runtime exited during start-up:\n${tail}`);
    }
    await sleep(200);
  }
  throw new CcrError('supervisor_failed', `the runtime (pid ${pid}) was not ready after 15 minutes; see ${logFile}`);
}

export function register(program: Command): void {
  program
    .command('up')
    .description('run the local environment: PostgreSQL, the active release (HEAD built if none) on N instances, the router')
    .option('--port <port>', 'router public port', process.env['CCR_PORT'] ?? '8080')
    .option('--host <host>', 'router public bind address', process.env['CCR_HOST'] ?? '127.0.0.1')
    .option('--admin-port <port>', 'router admin port on loopback (0 = any free port)', '0')
    .option('--instances <n>', 'API instances of the release', '2')
    .option('--release <version>', 'artifact version to run (default: the active one, else HEAD)')
    .option('--detach', 'start in the background and return once ready')
    .option('--verbose', 'also show health-check request logs')
    .option('--no-controller', 'do not host the release controller (ccr deploy then drives releases in-process)')
    .option('--daemon', 'internal: the background runtime started by --detach')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Uses DATABASE_URL when set, else an embedded PostgreSQL 15 under .cc/pg. REDIS_URL and
KAFKA_BROKER are passed to the instances when set. In the foreground, logs of every process
are shown prefixed by instance and version; Ctrl-C stops everything. The runtime also hosts
the release controller (ccr server) for the local environments of rollout.yaml, restarted if
it dies, so a release goes on when the ccr deploy that started it is killed.

Example:
  $ npx ccr up                      # foreground, http://127.0.0.1:8080
  $ npx ccr up --detach --port 9080 && npx ccr status && npx ccr down`,
    )
    .action(async (cmdOpts: UpCliOptions, cmd: Command) => {
      const opts: UpCliOptions = { ...cmd.optsWithGlobals<UpCliOptions>(), ...cmdOpts };
      try {
        const paths = ccPaths();
        const live = opts.daemon ? null : liveRuntime(paths);
        if (live && !live.ready) throw new CcrError('lock_held', `a runtime is starting or stopping (pid ${live.pid}); see \`npx ccr status\``);
        if (live) await upWhileRunning(paths, opts, live.pid);
        else if (opts.detach) await detach(paths, opts, process.argv.slice(process.argv.indexOf('up') + 1));
        else await runInProcess(paths, opts, !opts.daemon);
      } catch (err) {
        fail(opts, err);
      }
    });
}
