import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { isAlive, launch } from '../../command/index.js';
import { CONDUCTOR_ROOT } from '../../conductor-root.js';
import { CcrError } from '../../errors.js';
import { ccPaths, type CcPaths } from '../../paths.js';
import { SupervisorClient } from '../../runtime/control-client.js';
import { LocalRuntime } from '../../runtime/local-runtime.js';
import { LogTailer } from '../../runtime/log-tail.js';
import { databaseUrlFile, readRuntime } from '../../runtime/runtime-state.js';
import type { RuntimeStatus } from '../../runtime/status.js';
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
    onProgress: say,
    onEvent: (e) => say(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`),
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
    .option('--daemon', 'internal: the background runtime started by --detach')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Uses DATABASE_URL when set, else an embedded PostgreSQL 15 under .cc/pg. REDIS_URL and
KAFKA_BROKER are passed to the instances when set. In the foreground, logs of every process
are shown prefixed by instance and version; Ctrl-C stops everything.

Example:
  $ npx ccr up                      # foreground, http://127.0.0.1:8080
  $ npx ccr up --detach --port 9080 && npx ccr status && npx ccr down`,
    )
    .action(async (cmdOpts: UpCliOptions, cmd: Command) => {
      const opts: UpCliOptions = { ...cmd.optsWithGlobals<UpCliOptions>(), ...cmdOpts };
      try {
        const paths = ccPaths();
        if (opts.detach) await detach(paths, opts, process.argv.slice(process.argv.indexOf('up') + 1));
        else await runInProcess(paths, opts, !opts.daemon);
      } catch (err) {
        fail(opts, err);
      }
    });
}
