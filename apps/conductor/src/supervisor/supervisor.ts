import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadArtifact, type Artifact } from '../artifacts/store.js';
import { CcrError } from '../errors.js';
import { freePort, probe, waitReady } from './health.js';
import { commandLine, isAlive, spawnDetached, terminate, type SpawnedProcess } from './process-control.js';
import { loadSupervisorState, saveSupervisorState } from './state-file.js';
import type { InstanceController, InstanceInfo, StartOptions } from './types.js';

// Runs API instances of release artifacts as detached processes, restarts crashed ones with
// exponential backoff, and persists what it runs so a restarted supervisor adopts the
// instances that are still alive and healthy instead of starting a second set.

export interface SupervisorEvent {
  level: 'info' | 'warn' | 'error';
  instance?: string;
  version?: string;
  message: string;
}

export interface SupervisorOptions {
  stateFile: string;
  logsDir: string;
  artifactsDir: string;
  /** The environment an instance of this artifact runs with on these ports. */
  envFor: (artifact: Artifact, port: number, metricsPort: number) => NodeJS.ProcessEnv;
  /** SIGTERM to SIGKILL, default 15 s (the API drains for up to SHUTDOWN_TIMEOUT_MS). */
  graceMs?: number;
  readyTimeoutMs?: number;
  /** Restart delays: initialMs doubling up to maxMs; reset once an instance stayed up resetAfterMs. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  onEvent?: (event: SupervisorEvent) => void;
}

interface Managed {
  info: InstanceInfo;
  stopping: boolean;
  /** True until the first readiness: a crash then fails start() instead of looping. */
  initial: boolean;
  readySince: number | null;
  crashes: number;
  generation: number;
  proc: SpawnedProcess | null;
  timer: NodeJS.Timeout | null;
}

export class Supervisor implements InstanceController {
  private readonly instances = new Map<string, Managed>();
  private seq = 0;
  private detached = false;
  private readonly graceMs: number;
  private readonly readyTimeoutMs: number;
  private readonly backoff: { initialMs: number; maxMs: number; resetAfterMs: number };

  constructor(private readonly opts: SupervisorOptions) {
    this.graceMs = opts.graceMs ?? 15_000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000, resetAfterMs: 30_000 };
  }

  /**
   * Reads the persisted state: instances whose pid is alive, is ours and answers /version
   * with its version are adopted; the others are reaped (killed if half-alive) and restarted.
   */
  async recover(): Promise<{ adopted: string[]; restarted: string[]; dropped: string[] }> {
    const saved = loadSupervisorState(this.opts.stateFile);
    this.seq = Math.max(this.seq, saved.seq);
    const adopted: string[] = [];
    const restarted: string[] = [];
    const dropped: string[] = [];
    for (const s of saved.instances) {
      if (this.instances.has(s.id)) continue;
      let artifact: Artifact;
      try {
        artifact = loadArtifact(this.opts.artifactsDir, s.version);
      } catch {
        if (s.pid && this.isOurs(s.pid, null)) await terminate(s.pid, this.graceMs);
        dropped.push(s.id);
        this.emit('error', `artifact ${s.version} is gone; dropped instance ${s.id}`, s.id, s.version);
        continue;
      }
      const m: Managed = {
        info: { ...s, metricsPort: s.metricsPort ?? null, url: `http://127.0.0.1:${s.port}`, state: 'starting', logFile: this.logFile(s.id) },
        stopping: false,
        initial: false,
        readySince: null,
        crashes: 0,
        generation: 0,
        proc: null,
        timer: null,
      };
      this.instances.set(s.id, m);
      const live = s.pid !== null && this.isOurs(s.pid, artifact);
      const version = live ? await probe(`${m.info.url}/version`, 2000) : null;
      if (live && version?.status === 200 && (version.body as { version?: string } | null)?.version === s.version) {
        this.watchAdopted(m, s.pid!);
        m.info.state = 'ready';
        m.readySince = Date.now();
        adopted.push(s.id);
        this.emit('info', `adopted ${s.id} (pid ${s.pid}, port ${s.port})`, s.id, s.version);
      } else {
        if (s.pid !== null && live) await terminate(s.pid, this.graceMs);
        m.info.pid = null;
        restarted.push(s.id);
        this.emit('warn', `instance ${s.id} was not running or not healthy; restarting it`, s.id, s.version);
        this.respawn(m);
      }
    }
    this.persist();
    return { adopted, restarted, dropped };
  }

  async start(version: string, count: number, opts: StartOptions = {}): Promise<InstanceInfo[]> {
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new CcrError('usage', `count must be 1..64, got ${count}`);
    const artifact = loadArtifact(this.opts.artifactsDir, version);
    const started: Managed[] = [];
    for (let i = 0; i < count; i++) {
      const port = await this.pickPort();
      const metricsPort = await this.pickPort([port]);
      const id = `api-${version}-${++this.seq}`;
      const m: Managed = {
        info: { id, version, port, metricsPort, url: `http://127.0.0.1:${port}`, pid: null, state: 'starting', restarts: 0, startedAt: new Date().toISOString(), lastExit: null, logFile: this.logFile(id) },
        stopping: false,
        initial: true,
        readySince: null,
        crashes: 0,
        generation: 0,
        proc: null,
        timer: null,
      };
      this.instances.set(id, m);
      this.spawn(m, artifact);
      started.push(m);
    }
    this.persist();
    this.emit('info', `starting ${count} instance(s) of ${version}`, undefined, version);
    const timeout = opts.readyTimeoutMs ?? this.readyTimeoutMs;
    const results = await Promise.all(started.map((m) => this.awaitReady(m, timeout)));
    const failed = started.filter((_, i) => !results[i]!.ready);
    if (failed.length) {
      const detail = failed.map((m, i) => `${m.info.id}: ${results[started.indexOf(m)]!.reason ?? 'not ready'}${i === 0 ? `\n${this.logTail(m.info.logFile)}` : ''}`).join('\n');
      await Promise.all(started.map((m) => this.stop(m.info.id).catch(() => undefined)));
      throw new CcrError('instance_not_ready', `instance(s) of ${version} did not become ready:\n${detail}`, { details: { version, failed: failed.map((m) => m.info.id) } });
    }
    return started.map((m) => ({ ...m.info }));
  }

  list(): Promise<InstanceInfo[]> {
    return Promise.resolve(this.snapshot());
  }

  snapshot(): InstanceInfo[] {
    return [...this.instances.values()].map((m) => ({ ...m.info }));
  }

  async stop(id: string): Promise<void> {
    const m = this.instances.get(id);
    if (!m) throw new CcrError('not_found', `no instance ${id}`);
    m.stopping = true;
    m.info.state = 'stopping';
    if (m.timer) clearTimeout(m.timer);
    m.timer = null;
    this.persist();
    if (m.info.pid !== null) {
      const how = await terminate(m.info.pid, this.graceMs);
      if (how === 'killed') this.emit('warn', `${id} did not exit within ${this.graceMs} ms; killed`, id, m.info.version);
    }
    this.instances.delete(id);
    this.persist();
    this.emit('info', `stopped ${id}`, id, m.info.version);
  }

  async stopVersion(version: string): Promise<InstanceInfo[]> {
    const victims = this.snapshot().filter((i) => i.version === version);
    await Promise.all(victims.map((i) => this.stop(i.id)));
    return victims;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.snapshot().map((i) => this.stop(i.id).catch(() => undefined)));
  }

  /** Restarts now every crashed instance still waiting out its backoff; returns their ids. */
  restartCrashed(): string[] {
    const ids: string[] = [];
    for (const m of this.instances.values()) {
      if (m.info.state !== 'crashed' || m.stopping || !m.timer) continue;
      clearTimeout(m.timer);
      this.respawn(m);
      ids.push(m.info.id);
    }
    return ids;
  }

  /**
   * Stops supervising without stopping anything: timers cleared, children left running for
   * the next supervisor to adopt (what a crash of this process would leave behind).
   */
  detach(): void {
    this.detached = true;
    for (const m of this.instances.values()) {
      if (m.timer) clearTimeout(m.timer);
      m.proc?.unref();
    }
  }

  private spawn(m: Managed, artifact: Artifact): void {
    const gen = ++m.generation;
    const proc = spawnDetached(process.execPath, [join(artifact.dir, artifact.manifest.entrypoints.server)], {
      env: this.opts.envFor(artifact, m.info.port, m.info.metricsPort ?? 0),
      cwd: artifact.dir,
      logFile: m.info.logFile,
    });
    m.proc = proc;
    m.info.pid = proc.pid;
    m.info.state = 'starting';
    void proc.exited.then((exit) => this.onExit(m, gen, exit.code, exit.signal));
  }

  /** An adopted process is not our child: poll its pid to notice when it dies. */
  private watchAdopted(m: Managed, pid: number): void {
    const gen = ++m.generation;
    const tick = () => {
      if (this.detached || m.generation !== gen) return;
      if (!isAlive(pid)) {
        this.onExit(m, gen, null, null);
        return;
      }
      m.timer = setTimeout(tick, 500);
    };
    m.timer = setTimeout(tick, 500);
  }

  private onExit(m: Managed, gen: number, code: number | null, signal: string | null): void {
    if (this.detached || gen !== m.generation) return;
    m.info.lastExit = { code, signal, at: new Date().toISOString() };
    m.info.pid = null;
    m.proc = null;
    if (m.stopping || !this.instances.has(m.info.id)) return;
    m.info.state = 'crashed';
    this.persist();
    if (m.initial) return; // start() reports it
    if (m.readySince !== null && Date.now() - m.readySince >= this.backoff.resetAfterMs) m.crashes = 0;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** m.crashes);
    m.crashes++;
    m.readySince = null;
    this.emit('warn', `${m.info.id} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`, m.info.id, m.info.version);
    m.timer = setTimeout(() => this.respawn(m), delay);
  }

  private respawn(m: Managed): void {
    m.timer = null;
    if (this.detached || m.stopping) return;
    let artifact: Artifact;
    try {
      artifact = loadArtifact(this.opts.artifactsDir, m.info.version);
    } catch (err) {
      this.emit('error', `cannot restart ${m.info.id}: ${(err as Error).message}`, m.info.id, m.info.version);
      return;
    }
    m.info.restarts++;
    this.spawn(m, artifact);
    this.persist();
    void this.awaitReady(m, this.readyTimeoutMs).then((r) => {
      if (r.ready) this.emit('info', `${m.info.id} is ready again (restart ${m.info.restarts})`, m.info.id, m.info.version);
    });
  }

  private async awaitReady(m: Managed, timeoutMs: number): Promise<{ ready: boolean; reason?: string }> {
    const pid = m.info.pid;
    const result = await waitReady(m.info.url, timeoutMs, () => m.info.pid !== pid || pid === null || !isAlive(pid));
    if (result.ready && m.info.pid === pid && !m.stopping) {
      m.info.state = 'ready';
      m.initial = false;
      m.readySince = Date.now();
      this.persist();
    }
    return result;
  }

  /** The pid runs node on this artifact's server (guards against a re-used pid). */
  private isOurs(pid: number, artifact: Artifact | null): boolean {
    if (!isAlive(pid)) return false;
    const cmd = commandLine(pid);
    if (cmd === null) return true;
    return artifact ? cmd.includes(join(artifact.dir, artifact.manifest.entrypoints.server)) : cmd.includes(this.opts.artifactsDir);
  }

  private async pickPort(also: number[] = []): Promise<number> {
    const taken = new Set([...[...this.instances.values()].flatMap((m) => [m.info.port, m.info.metricsPort ?? 0]), ...also]);
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return port;
    }
  }

  private logFile(id: string): string {
    return join(this.opts.logsDir, `${id}.log`);
  }

  private logTail(file: string, lines = 15): string {
    if (!existsSync(file)) return '(no log)';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  private persist(): void {
    if (this.detached) return;
    saveSupervisorState(this.opts.stateFile, {
      seq: this.seq,
      // Instances being stopped stay listed until gone, so a crash mid-stop leaves nothing
      // that `ccr down` cannot find.
      instances: [...this.instances.values()].map(({ info }) => ({ id: info.id, version: info.version, port: info.port, metricsPort: info.metricsPort, pid: info.pid, restarts: info.restarts, startedAt: info.startedAt, lastExit: info.lastExit })),
    });
  }

  private emit(level: SupervisorEvent['level'], message: string, instance?: string, version?: string): void {
    this.opts.onEvent?.({ level, message, ...(instance ? { instance } : {}), ...(version ? { version } : {}) });
  }
}
