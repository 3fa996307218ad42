import { join } from 'node:path';
import { loadArtifact } from '../artifacts/store.js';
import { CcrError, errorMessage } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { commandLine, isAlive, terminate } from '../supervisor/process-control.js';
import { Supervisor, type SupervisorEvent } from '../supervisor/supervisor.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { instanceEnv } from './instance-env.js';
import { activeOnlyKeeper, readRouterStateFile, routerStateFile, type RouteKeeper } from './route-keeper.js';
import type { RouterProcessInfo } from './router-process.js';
import { ControllerSupervisor } from './controller-supervisor.js';
import { RouterSupervisor } from './router-supervisor.js';
import { databaseRecord, startDatabase, type RuntimeDatabase } from './runtime-database.js';
import { prepareRelease } from './runtime-release.js';
import { clearRuntime, readRuntime, supervisorStateFile, writeActiveVersion, writeRuntime, type RuntimeRecord } from './runtime-state.js';
import { ensureSecret, secretFile } from './secrets.js';
import { buildStatus, type RuntimeStatus } from './status.js';

// `ccr up`: the single-host environment. PostgreSQL (embedded or DATABASE_URL), the active
// artifact (HEAD built if there is none), its migrations, N supervised API instances and
// the router in front, plus the control API other `ccr` processes use. Everything it
// starts is recorded under .cc/runtime/ before it is started, so `ccr down` can always find
// it, and a runtime started after a crash adopts what is still alive.

export interface UpOptions {
  paths: CcPaths;
  /** Router public port (default 8080) and bind address. */
  port: number;
  host: string;
  /** Router admin port on loopback; 0 picks a free one. */
  adminPort: number;
  instances: number;
  /** Artifact version to run; default: the active version, else HEAD (built if needed). */
  version?: string;
  env: NodeJS.ProcessEnv;
  onProgress: (line: string) => void;
  onEvent?: (event: SupervisorEvent) => void;
  /** Supervisor timings (tests shorten them). */
  graceMs?: number;
  /** Restores the router's routes after it (re)starts; default: keep them or route to the active version. */
  keeper?: RouteKeeper;
  /** Environments the hosted release controller serves; empty or absent: no controller. */
  controllerEnvs?: string[];
}

interface RuntimeSecrets {
  jwt: string;
  routerAdmin: string;
  control: string;
}

export class LocalRuntime {
  private shuttingDown: Promise<void> | null = null;
  private control: ControlServer | null = null;
  private controller: ControllerSupervisor | null = null;
  private resolveDone!: () => void;
  /** Resolves once shutdown() has stopped everything. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  private constructor(
    private readonly paths: CcPaths,
    readonly record: RuntimeRecord,
    readonly supervisor: Supervisor,
    readonly router: RouterSupervisor,
    private readonly db: RuntimeDatabase,
  ) {}

  /** Starts each part in dependency order; a failure stops what was started, newest first. */
  static async start(opts: UpOptions): Promise<LocalRuntime> {
    const { paths, onProgress } = opts;
    const previous = claimRuntime(paths);
    const record = startingRecord(opts.env, previous);
    writeRuntime(paths, record);
    const secrets = runtimeSecrets(paths);
    const started: Array<() => Promise<unknown>> = [];
    try {
      const db = await startDatabase(paths, opts.env, onProgress);
      started.push(() => db.stop());
      record.database = databaseRecord(db);
      writeRuntime(paths, record);

      const artifact = await prepareRelease(paths, opts.version, db.url, onProgress);
      record.activeVersion = artifact.version;

      const keeper = opts.keeper ?? activeOnlyKeeper;
      const supervisor = await startInstances(opts, artifact.version, db.url, secrets.jwt, keeper);
      started.push(() => supervisor.stopAll());

      const router = await startRouter(opts, previous?.router, secrets.routerAdmin, async (info) => {
        record.router = info;
        writeRuntime(paths, record);
        const line = await keeper.restore(router.client(), supervisor.snapshot(), record.activeVersion ?? artifact.version, 'restart').catch((err: unknown) => `could not check the restarted router's routes: ${errorMessage(err)}`);
        opts.onEvent?.({ level: 'info', message: line });
      });
      started.push(() => router.stop());
      record.router = router.info;
      writeRuntime(paths, record);
      onProgress(await keeper.restore(router.client(), supervisor.snapshot(), artifact.version, 'start'));

      const runtime = new LocalRuntime(paths, record, supervisor, router, db);
      await runtime.serveControl(secrets.control);
      const orphan = previous?.controller;
      if (orphan && isAlive(orphan.pid) && (commandLine(orphan.pid) ?? '').includes(' server')) await terminate(orphan.pid, 15_000);
      if (opts.controllerEnvs?.length) runtime.hostController(opts, opts.controllerEnvs);
      return runtime;
    } catch (err) {
      onProgress(`start-up failed (${errorMessage(err)}); stopping what was started`);
      for (const stop of started.reverse()) await stop();
      clearRuntime(paths);
      throw err;
    }
  }

  status(): Promise<RuntimeStatus> {
    return buildStatus(this.record, this.supervisor.snapshot(), { client: this.router.client(3000), health: this.router.health, persisted: () => readRouterStateFile(this.paths) });
  }

  /** `ccr up` on a live runtime: restarts now what is down, without waiting out backoffs. */
  async repair(): Promise<string[]> {
    const done: string[] = [];
    if (this.db.mode === 'embedded' && this.db.pid !== null && !isAlive(this.db.pid)) {
      const db = await startDatabase(this.paths, {}, () => undefined);
      Object.assign(this.db, { pid: db.pid, stop: db.stop });
      this.record.database = databaseRecord(db);
      writeRuntime(this.paths, this.record);
      done.push(`the embedded PostgreSQL was down: started it again (pid ${db.pid})`);
    }
    const router = await this.router.repair();
    if (router) done.push(router);
    const instances = this.supervisor.restartCrashed();
    if (instances.length) done.push(`restarted crashed instance(s) now instead of after their backoff: ${instances.join(', ')}`);
    return done;
  }

  /** Router first (no new traffic), then the instances, then PostgreSQL. Idempotent. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.record.phase = 'stopping';
      writeRuntime(this.paths, this.record);
      // the controller first: a release it drives stays in flight for the next controller
      await this.controller?.stop();
      await this.router.stop();
      await this.supervisor.stopAll();
      await this.db.stop();
      await this.control?.close();
      clearRuntime(this.paths);
      this.resolveDone();
    })();
    return this.shuttingDown;
  }

  /** Runs the release controller as a supervised child (restarted when it exits). */
  private hostController(opts: UpOptions, envs: string[]): void {
    this.controller = new ControllerSupervisor({
      envs, env: opts.env, cwd: process.cwd(), logFile: join(this.paths.logs, 'controller.log'),
      onEvent: (e) => opts.onEvent?.(e),
      onStarted: (pid) => {
        this.record.controller = { pid, envs };
        writeRuntime(this.paths, this.record);
      },
    });
    this.controller.start();
  }

  /** The loopback control API other `ccr` processes drive the runtime through; then ready. */
  private async serveControl(token: string): Promise<void> {
    this.control = await startControlServer(token, {
      controller: this.supervisor,
      status: () => this.status(),
      setActiveVersion: (v) => {
        loadArtifact(this.paths.artifacts, v);
        this.record.activeVersion = v;
        writeActiveVersion(this.paths, v);
        writeRuntime(this.paths, this.record);
      },
      repair: () => this.repair(),
      shutdown: () => void this.shutdown(),
    });
    this.record.controlUrl = this.control.url;
    this.record.phase = 'ready';
    writeRuntime(this.paths, this.record);
  }
}

/** Refuses a second live runtime; returns what a dead one recorded (its router may be adopted). */
function claimRuntime(paths: CcPaths): RuntimeRecord | null {
  const existing = readRuntime(paths);
  if (existing && existing.pid !== process.pid && isAlive(existing.pid) && (commandLine(existing.pid) ?? 'ccr').includes('ccr')) {
    throw new CcrError('lock_held', `a runtime is already running (pid ${existing.pid}); see \`npx ccr status\`, or stop it with \`npx ccr down\``);
  }
  return existing;
}

function startingRecord(env: NodeJS.ProcessEnv, previous: RuntimeRecord | null): RuntimeRecord {
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    environment: 'local',
    controlUrl: null,
    router: previous?.router ?? null,
    database: { mode: env['DATABASE_URL'] ? 'external' : 'embedded', pid: null, display: '' },
    activeVersion: null,
    phase: 'starting',
  };
}

function runtimeSecrets(paths: CcPaths): RuntimeSecrets {
  ensureSecret(paths.secrets, 'router-pin-token');
  return {
    jwt: ensureSecret(paths.secrets, 'jwt-secret'),
    routerAdmin: ensureSecret(paths.secrets, 'router-admin-token'),
    control: ensureSecret(paths.runtime, 'control-token'),
  };
}

/**
 * The supervisor, having adopted what a crashed runtime left, with `instances` of the version
 * and the instances of any other version the router's split (or the conductor's record)
 * still gives traffic, so a release in flight survives `ccr down && ccr up`.
 */
async function startInstances(opts: UpOptions, version: string, databaseUrl: string, jwtSecret: string, keeper: RouteKeeper): Promise<Supervisor> {
  const { paths } = opts;
  const supervisor = new Supervisor({
    stateFile: supervisorStateFile(paths),
    logsDir: paths.logs,
    artifactsDir: paths.artifacts,
    envFor: (a, port, metricsPort) => instanceEnv({ databaseUrl, jwtSecret, appEnv: opts.env['APP_ENV'] ?? 'development', parentEnv: opts.env }, a, port, metricsPort),
    ...(opts.graceMs ? { graceMs: opts.graceMs } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const recovered = await supervisor.recover();
  if (recovered.adopted.length) opts.onProgress(`adopted ${recovered.adopted.length} running instance(s): ${recovered.adopted.join(', ')}`);
  const wanted: Record<string, number> = { ...(await keeper.versionsToRun(readRouterStateFile(paths), version, opts.instances)), [version]: opts.instances };
  for (const [v, count] of Object.entries(wanted)) {
    const have = supervisor.snapshot().filter((i) => i.version === v).length;
    if (have >= count) continue;
    if (v !== version) opts.onProgress(`starting ${count - have} instance(s) of ${v}: the router's split still gives it traffic`);
    await supervisor.start(v, count - have);
  }
  return supervisor;
}

function startRouter(opts: UpOptions, previous: RouterProcessInfo | null | undefined, adminToken: string, onRestarted: (info: RouterProcessInfo) => Promise<void>): Promise<RouterSupervisor> {
  const { paths } = opts;
  return RouterSupervisor.start(
    {
      host: opts.host,
      port: opts.port,
      adminPort: opts.adminPort,
      adminToken,
      stateFile: routerStateFile(paths),
      adminTokenFile: secretFile(paths.secrets, 'router-admin-token'),
      pinTokenFile: secretFile(paths.secrets, 'router-pin-token'),
      logFile: join(paths.logs, 'router.log'),
      onEvent: (e) => opts.onEvent?.(e),
      onRestarted,
    },
    previous,
    opts.onProgress,
  );
}
