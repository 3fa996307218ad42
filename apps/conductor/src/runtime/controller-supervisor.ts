import { join } from 'node:path';
import { CONDUCTOR_ROOT } from '../conductor-root.js';
import { errorMessage } from '../errors.js';
import { isAlive, spawnDetached, terminate, type SpawnedProcess } from '../supervisor/process-control.js';
import type { SupervisorEvent } from '../supervisor/supervisor.js';

// The local runtime hosts the release controller (`ccr server`) as a supervised child, like
// the router: when it exits it is started again, at once the first time (a controller that
// keeps crashing backs off, 0.5 s doubling to 10 s). A controller killed mid-release loses its
// database session and with it the environment lock, so its successor takes the release over
// at its first pass, at the step and weight it had.

const CCR_BIN = join(CONDUCTOR_ROOT, 'bin', 'ccr.mjs');

export interface ControllerSupervisorOptions {
  /** Environments the controller serves (the local ones of rollout.yaml). */
  envs: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  onEvent: (event: SupervisorEvent) => void;
  /** Called with each new process id (the runtime records it for `ccr down`). */
  onStarted: (pid: number) => void;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

export class ControllerSupervisor {
  private proc: SpawnedProcess | null = null;
  private stopping = false;
  private crashes = 0;
  private upSince = 0;
  private timer: NodeJS.Timeout | null = null;
  restarts = 0;
  private readonly backoff: { initialMs: number; maxMs: number; resetAfterMs: number };

  constructor(private readonly o: ControllerSupervisorOptions) {
    this.backoff = o.backoff ?? { initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 };
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  start(): void {
    const args = [CCR_BIN, 'server', ...this.o.envs.flatMap((e) => ['--env', e])];
    const proc = spawnDetached(process.execPath, args, { env: this.o.env, cwd: this.o.cwd, logFile: this.o.logFile });
    this.proc = proc;
    this.upSince = Date.now();
    this.o.onStarted(proc.pid);
    this.o.onEvent({ level: 'info', message: `controller started (pid ${proc.pid}, serving ${this.o.envs.join(', ')}; log ${this.o.logFile})` });
    void proc.exited.then((how) => this.onExit(proc, how));
  }

  private onExit(proc: SpawnedProcess, how: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.stopping || this.proc !== proc) return;
    if (Date.now() - this.upSince > this.backoff.resetAfterMs) this.crashes = 0;
    const delay = this.crashes === 0 ? 0 : Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.crashes - 1));
    this.crashes++;
    this.restarts++;
    this.o.onEvent({ level: 'warn', message: `controller (pid ${proc.pid}) exited (${how.signal ?? `code ${how.code}`}); restarting${delay ? ` in ${delay} ms` : ''}` });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopping) return;
      try {
        this.start();
      } catch (err) {
        this.o.onEvent({ level: 'error', message: `controller restart failed: ${errorMessage(err)}` });
        this.onExit(proc, { code: null, signal: null });
      }
    }, delay);
  }

  /** Stops it (SIGTERM: releases in flight stay in flight for the next controller). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const pid = this.proc?.pid;
    if (pid && isAlive(pid)) await terminate(pid, 15_000);
  }
}
