import { errorMessage } from '../errors.js';
import { isAlive, terminate, type SpawnedProcess } from '../supervisor/process-control.js';
import type { SupervisorEvent } from '../supervisor/supervisor.js';
import { RouterAdminClient } from './router-client.js';
import { adoptRouter, routerCommand, spawnRouter, type RouterLaunch, type RouterProcessInfo } from './router-process.js';
import { bindSocket, type HeldSocket } from './router-sockets.js';

// The runtime supervises the router like an API instance: when its process exits, it is
// started again at once on the same ports and state file, so it comes back with the weights
// it last applied (the router persists a change before applying it). The first restart after
// a crash is immediate; a router that keeps crashing backs off (0.5 s doubling to 10 s).
// The runtime holds the listening sockets (router-sockets.ts), so connections made while
// the router restarts wait instead of being refused. A router adopted from an earlier
// runtime brought its own sockets; if it dies, fresh ones are bound on its ports.

export interface RouterSupervisorOptions extends RouterLaunch {
  /** Requested ports; 0 picks free ones on the first start, which restarts then keep. */
  port: number;
  adminPort: number;
  adminToken: string;
  onEvent: (event: SupervisorEvent) => void;
  /** Called after every restart with the new process (the runtime records it and re-checks routes). */
  onRestarted: (info: RouterProcessInfo) => Promise<void>;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

export interface RouterHealth {
  up: boolean;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Set while a restart is pending or failing. */
  problem: string | null;
}

export class RouterSupervisor {
  private sockets: { data: HeldSocket; admin: HeldSocket } | null = null;
  private proc: SpawnedProcess | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private crashes = 0;
  private upSince = 0;
  private restarting: Promise<void> | null = null;
  readonly health: RouterHealth = { up: false, restarts: 0, lastExit: null, problem: null };
  private readonly backoff: { initialMs: number; maxMs: number; resetAfterMs: number };

  private constructor(
    private readonly o: RouterSupervisorOptions,
    private readonly command: string[],
    public info: RouterProcessInfo,
  ) {
    this.backoff = o.backoff ?? { initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 };
  }

  /** Adopts the router an earlier runtime left running, else starts one. */
  static async start(o: RouterSupervisorOptions, previous: RouterProcessInfo | null | undefined, onProgress: (line: string) => void): Promise<RouterSupervisor> {
    const command = await routerCommand();
    const adopted = await adoptRouter(previous, o.adminToken);
    if (adopted) {
      onProgress(`adopted the running router (pid ${adopted.pid})`);
      const sup = new RouterSupervisor(o, command, adopted);
      sup.watchAdopted(adopted.pid);
      return sup;
    }
    onProgress(`starting the router on ${o.host}:${o.port}`);
    const sup = new RouterSupervisor(o, command, { pid: 0, host: o.host, port: o.port, adminPort: o.adminPort });
    try {
      await sup.launch();
    } catch (err) {
      sup.closeSockets();
      throw err;
    }
    return sup;
  }

  client(timeoutMs?: number): RouterAdminClient {
    return new RouterAdminClient(`http://127.0.0.1:${this.info.adminPort}`, this.o.adminToken, timeoutMs);
  }

  /**
   * Restarts the router now if its process is gone (skipping any backoff), or if it is alive
   * but does not answer its admin API (hung: it is killed first). Says what it did, or null.
   */
  async repair(): Promise<string | null> {
    if (this.stopping) return null;
    if (this.health.up && isAlive(this.info.pid)) {
      try {
        await this.client(3000).getState();
        return null;
      } catch {
        this.o.onEvent({ level: 'warn', message: `the router (pid ${this.info.pid}) does not answer its admin API; killing it` });
        // Its exit must not schedule a second restart next to this one.
        this.proc = null;
        if (this.watchTimer) clearTimeout(this.watchTimer);
        await terminate(this.info.pid, 2000, 'SIGKILL');
        await this.restart();
        return `the router (pid ${this.info.pid} now) did not answer its admin API: killed and restarted it`;
      }
    }
    await this.restart();
    return `the router was down: restarted it (pid ${this.info.pid})`;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    await this.restarting?.catch(() => undefined);
    if (this.info.pid) await terminate(this.info.pid, 15_000);
    this.health.up = false;
    this.closeSockets();
  }

  private async launch(): Promise<void> {
    this.sockets ??= {
      data: await bindSocket(this.o.host, this.info.port || this.o.port, 'public'),
      admin: await bindSocket('127.0.0.1', this.info.adminPort || this.o.adminPort, 'admin'),
    };
    const { info, proc } = await spawnRouter(this.command, this.o, this.sockets);
    this.info = info;
    this.proc = proc;
    this.health.up = true;
    this.health.problem = null;
    this.upSince = Date.now();
    void proc.exited.then((exit) => {
      if (this.proc === proc) this.onExit(exit.code, exit.signal);
    });
  }

  /** An adopted router is not our child: poll its pid to notice when it dies. */
  private watchAdopted(pid: number): void {
    this.health.up = true;
    this.upSince = Date.now();
    const tick = () => {
      if (this.stopping || this.info.pid !== pid) return;
      if (!isAlive(pid)) {
        this.onExit(null, null);
        return;
      }
      this.watchTimer = setTimeout(tick, 200);
    };
    this.watchTimer = setTimeout(tick, 200);
  }

  private onExit(code: number | null, signal: string | null): void {
    this.proc = null;
    this.health.up = false;
    if (this.stopping) return;
    this.health.lastExit = { code, signal, at: new Date().toISOString() };
    if (Date.now() - this.upSince >= this.backoff.resetAfterMs) this.crashes = 0;
    const delay = this.crashes === 0 ? 0 : Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.crashes - 1));
    this.crashes++;
    this.health.problem = `exited (${signal ?? `code ${code}`}); restarting${delay ? ` in ${delay} ms` : ''}`;
    this.o.onEvent({ level: 'warn', message: `the router (pid ${this.info.pid}) ${this.health.problem}` });
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private restart(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.restarting ??= (async () => {
      const exitedAt = this.health.lastExit ? Date.parse(this.health.lastExit.at) : Date.now();
      try {
        if (this.stopping) return;
        await this.launch();
        this.health.restarts++;
        this.o.onEvent({ level: 'info', message: `the router is back (pid ${this.info.pid}, restart ${this.health.restarts}, ${Date.now() - exitedAt} ms after it exited)` });
        await this.o.onRestarted(this.info);
      } catch (err) {
        this.health.problem = `restart failed: ${errorMessage(err)}`;
        this.o.onEvent({ level: 'error', message: `the router ${this.health.problem}` });
        if (!this.health.up && !this.stopping) {
          const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.crashes++);
          this.restartTimer = setTimeout(() => void this.restart(), delay);
        }
      } finally {
        this.restarting = null;
      }
    })();
    return this.restarting;
  }

  private closeSockets(): void {
    this.sockets?.data.close();
    this.sockets?.admin.close();
    this.sockets = null;
  }
}
