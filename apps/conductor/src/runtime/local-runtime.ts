import { join } from 'node:path';
import type { RouterTarget } from '@cc/contracts';
import { loadArtifact } from '../artifacts/store.js';
import { CcrError, errorMessage } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { commandLine, isAlive, terminate } from '../supervisor/process-control.js';
import { Supervisor, type SupervisorEvent } from '../supervisor/supervisor.js';
import type { InstanceInfo } from '../supervisor/types.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { instanceEnv } from './instance-env.js';
import { RouterAdminClient } from './router-client.js';
import { adoptRouter, startRouter, type RouterProcessInfo } from './router-process.js';
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
}

interface RuntimeSecrets {
  jwt: string;
  routerAdmin: string;
  control: string;
}

export class LocalRuntime {
  private shuttingDown: Promise<void> | null = null;
  private control: ControlServer | null = null;
  private resolveDone!: () => void;
  /** Resolves once shutdown() has stopped everything. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  private constructor(
    private readonly paths: CcPaths,
    readonly record: RuntimeRecord,
    readonly supervisor: Supervisor,
    private readonly routerClient: RouterAdminClient,
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

      const supervisor = await startInstances(opts, artifact.version, db.url, secrets.jwt);
      started.push(() => supervisor.stopAll());

      const router = await startOrAdoptRouter(opts, previous?.router, secrets.routerAdmin);
      started.push(() => terminate(router.pid, 10_000));
      record.router = router;
      writeRuntime(paths, record);
      const routerClient = new RouterAdminClient(`http://127.0.0.1:${router.adminPort}`, secrets.routerAdmin);
      await routeToActive(routerClient, supervisor.snapshot(), artifact.version);

      const runtime = new LocalRuntime(paths, record, supervisor, routerClient, db);
      await runtime.serveControl(secrets.control);
      return runtime;
    } catch (err) {
      onProgress(`start-up failed (${errorMessage(err)}); stopping what was started`);
      for (const stop of started.reverse()) await stop();
      clearRuntime(paths);
      throw err;
    }
  }

  status(): Promise<RuntimeStatus> {
    return buildStatus(this.record, this.supervisor.snapshot(), this.routerClient);
  }

  /** Router first (no new traffic), then the instances, then PostgreSQL. Idempotent. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.record.phase = 'stopping';
      writeRuntime(this.paths, this.record);
      if (this.record.router) await terminate(this.record.router.pid, 15_000);
      await this.supervisor.stopAll();
      await this.db.stop();
      await this.control?.close();
      clearRuntime(this.paths);
      this.resolveDone();
    })();
    return this.shuttingDown;
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

/** The supervisor, having adopted what a crashed runtime left, with `instances` of the version. */
async function startInstances(opts: UpOptions, version: string, databaseUrl: string, jwtSecret: string): Promise<Supervisor> {
  const { paths } = opts;
  const supervisor = new Supervisor({
    stateFile: supervisorStateFile(paths),
    logsDir: paths.logs,
    artifactsDir: paths.artifacts,
    envFor: (a, port) => instanceEnv({ databaseUrl, jwtSecret, appEnv: opts.env['APP_ENV'] ?? 'development', parentEnv: opts.env }, a, port),
    ...(opts.graceMs ? { graceMs: opts.graceMs } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const recovered = await supervisor.recover();
  if (recovered.adopted.length) opts.onProgress(`adopted ${recovered.adopted.length} running instance(s): ${recovered.adopted.join(', ')}`);
  const have = supervisor.snapshot().filter((i) => i.version === version).length;
  if (have < opts.instances) await supervisor.start(version, opts.instances - have);
  return supervisor;
}

async function startOrAdoptRouter(opts: UpOptions, previous: RouterProcessInfo | null | undefined, adminToken: string): Promise<RouterProcessInfo> {
  const { paths } = opts;
  const adopted = await adoptRouter(previous, adminToken);
  if (adopted) {
    opts.onProgress(`adopted the running router (pid ${adopted.pid})`);
    return adopted;
  }
  opts.onProgress(`starting the router on ${opts.host}:${opts.port}`);
  return startRouter({
    host: opts.host,
    port: opts.port,
    adminPort: opts.adminPort,
    stateFile: join(paths.router, 'state.json'),
    adminTokenFile: secretFile(paths.secrets, 'router-admin-token'),
    pinTokenFile: secretFile(paths.secrets, 'router-pin-token'),
    logFile: join(paths.logs, 'router.log'),
  });
}

/**
 * Keeps the router's state when every target in it is an instance we run (a deploy's split
 * survives a restart); otherwise routes both services to the active version's instances.
 */
async function routeToActive(client: RouterAdminClient, instances: InstanceInfo[], version: string): Promise<void> {
  const known = new Map(instances.map((i) => [i.id, i.url]));
  await client.updateState((doc) => {
    const current = [...doc.state.services.api.targets, ...doc.state.services.web.targets];
    const consistent = current.length > 0 && current.every((t) => known.get(t.id)?.replace(/\/$/, '') === t.url.replace(/\/$/, '')) && current.some((t) => t.weight > 0);
    if (consistent) return doc.state;
    const targets: RouterTarget[] = instances.filter((i) => i.version === version).map((i) => ({ id: i.id, version: i.version, url: i.url, weight: 100 }));
    return { services: { api: { targets }, web: { targets } }, maintenance: doc.state.maintenance };
  });
}
