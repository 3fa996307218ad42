import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouterTarget } from '@cc/contracts';
import { buildArtifact } from '../artifacts/build.js';
import { loadArtifact, type Artifact } from '../artifacts/store.js';
import { CcrError, errorMessage } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { commandLine, isAlive, terminate } from '../supervisor/process-control.js';
import { Supervisor, type SupervisorEvent } from '../supervisor/supervisor.js';
import type { InstanceInfo } from '../supervisor/types.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { instanceEnv } from './instance-env.js';
import { migrateUp } from './migrate.js';
import { RouterAdminClient } from './router-client.js';
import { adoptRouter, startRouter, type RouterProcessInfo } from './router-process.js';
import {
  clearRuntime,
  databaseUrlFile,
  displayUrl,
  readActiveVersion,
  readRuntime,
  supervisorStateFile,
  writeActiveVersion,
  writeRuntime,
  type RuntimeRecord,
} from './runtime-state.js';
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

export class LocalRuntime {
  private shuttingDown: Promise<void> | null = null;
  private resolveDone!: () => void;
  /** Resolves once shutdown() has stopped everything. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  private constructor(
    private readonly paths: CcPaths,
    readonly record: RuntimeRecord,
    readonly supervisor: Supervisor,
    private readonly routerClient: RouterAdminClient,
    private readonly control: ControlServer,
    private readonly db: EmbeddedPostgres | null,
  ) {}

  static async start(opts: UpOptions): Promise<LocalRuntime> {
    const { paths, onProgress } = opts;
    const existing = readRuntime(paths);
    if (existing && existing.pid !== process.pid && isAlive(existing.pid) && (commandLine(existing.pid) ?? 'ccr').includes('ccr')) {
      throw new CcrError('lock_held', `a runtime is already running (pid ${existing.pid}); see \`npx ccr status\`, or stop it with \`npx ccr down\``);
    }
    const record: RuntimeRecord = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      environment: 'local',
      controlUrl: null,
      router: existing?.router ?? null,
      database: { mode: opts.env['DATABASE_URL'] ? 'external' : 'embedded', pid: null, display: '' },
      activeVersion: null,
      phase: 'starting',
    };
    writeRuntime(paths, record);
    const jwtSecret = ensureSecret(paths.secrets, 'jwt-secret');
    const adminToken = ensureSecret(paths.secrets, 'router-admin-token');
    ensureSecret(paths.secrets, 'router-pin-token');
    const controlToken = ensureSecret(paths.runtime, 'control-token');

    let db: EmbeddedPostgres | null = null;
    let supervisor: Supervisor | null = null;
    let router: RouterProcessInfo | null = null;
    let control: ControlServer | null = null;
    try {
      let databaseUrl = opts.env['DATABASE_URL'];
      if (!databaseUrl) {
        onProgress(`starting embedded PostgreSQL 15 (data in ${paths.pg})`);
        db = await startEmbeddedPostgres(paths.pg, join(paths.logs, 'postgres.log'));
        databaseUrl = db.url;
        record.database.pid = db.pid;
      }
      record.database.display = displayUrl(databaseUrl);
      writeRuntime(paths, record);
      // For `npm run admin` and psql: the URL carries a password, so it goes to a 0600 file
      // and is never printed.
      writeFileSync(databaseUrlFile(paths), `${databaseUrl}\n`, { mode: 0o600 });

      const artifact = await resolveArtifact(opts);
      record.activeVersion = artifact.version;
      writeActiveVersion(paths, artifact.version);

      onProgress(`migrating the database with ${artifact.version}'s migrations`);
      const { applied } = await migrateUp(artifact, databaseUrl);
      onProgress(applied ? `applied ${applied} migration(s)` : 'schema already up to date');

      const url = databaseUrl;
      supervisor = new Supervisor({
        stateFile: supervisorStateFile(paths),
        logsDir: paths.logs,
        artifactsDir: paths.artifacts,
        envFor: (a, port) => instanceEnv({ databaseUrl: url, jwtSecret, appEnv: opts.env['APP_ENV'] ?? 'development', parentEnv: opts.env }, a, port),
        ...(opts.graceMs ? { graceMs: opts.graceMs } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      });
      const recovered = await supervisor.recover();
      if (recovered.adopted.length) onProgress(`adopted ${recovered.adopted.length} running instance(s): ${recovered.adopted.join(', ')}`);
      const have = supervisor.snapshot().filter((i) => i.version === artifact.version).length;
      if (have < opts.instances) {
        await supervisor.start(artifact.version, opts.instances - have);
      }

      router = await adoptRouter(existing?.router, adminToken);
      if (router) onProgress(`adopted the running router (pid ${router.pid})`);
      else {
        onProgress(`starting the router on ${opts.host}:${opts.port}`);
        router = await startRouter({
          host: opts.host,
          port: opts.port,
          adminPort: opts.adminPort,
          stateFile: join(paths.router, 'state.json'),
          adminTokenFile: secretFile(paths.secrets, 'router-admin-token'),
          pinTokenFile: secretFile(paths.secrets, 'router-pin-token'),
          logFile: join(paths.logs, 'router.log'),
        });
      }
      record.router = router;
      writeRuntime(paths, record);
      const routerClient = new RouterAdminClient(`http://127.0.0.1:${router.adminPort}`, adminToken);
      await routeToActive(routerClient, supervisor.snapshot(), artifact.version);

      let runtime: LocalRuntime | null = null;
      control = await startControlServer(controlToken, {
        controller: supervisor,
        status: () => (runtime ? runtime.status() : Promise.reject(new CcrError('supervisor_failed', 'starting'))),
        setActiveVersion: (v) => {
          loadArtifact(paths.artifacts, v);
          record.activeVersion = v;
          writeActiveVersion(paths, v);
          writeRuntime(paths, record);
        },
        shutdown: () => void runtime?.shutdown(),
      });
      record.controlUrl = control.url;
      record.phase = 'ready';
      writeRuntime(paths, record);
      runtime = new LocalRuntime(paths, record, supervisor, routerClient, control, db);
      return runtime;
    } catch (err) {
      onProgress(`start-up failed (${errorMessage(err)}); stopping what was started`);
      await control?.close();
      if (router) await terminate(router.pid, 10_000);
      await supervisor?.stopAll();
      await db?.stop();
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
      await this.db?.stop();
      await this.control.close();
      clearRuntime(this.paths);
      this.resolveDone();
    })();
    return this.shuttingDown;
  }
}

async function resolveArtifact(opts: UpOptions): Promise<Artifact> {
  const { paths } = opts;
  if (opts.version) return loadArtifact(paths.artifacts, opts.version);
  const active = readActiveVersion(paths);
  if (active && existsSync(join(paths.artifacts, active, 'manifest.json'))) return loadArtifact(paths.artifacts, active);
  opts.onProgress('no active release yet: building HEAD');
  const built = await buildArtifact({ repo: paths.projectRoot, ref: 'HEAD', artifactsDir: paths.artifacts, onProgress: (l) => opts.onProgress(`build: ${l}`) });
  return loadArtifact(paths.artifacts, built.version);
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
