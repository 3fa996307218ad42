import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { CcrError } from '../errors.js';
import { pendingScaleDowns, reapScaleDowns } from '../strategies/scale-down.js';
import {
  forceReleaseLock, heartbeatController, inFlightRelease, lockStatus, registerController, unregisterController,
  type Actor, type EnvLock,
} from '../store/index.js';
import { acquireLock, driveRelease } from './drive.js';
import { applyEnvRequests, dueEnvRequests } from './env-rollback.js';
import type { OpenEnv } from './open-env.js';
import { progressText } from './progress-text.js';

// The controller (`ccr server`): a reconcile loop over the environments it serves. Every tick
// (and at once when a control request is recorded: LISTEN ccr_control), for each environment
// with a release in flight, a pending env-level request or a scale-down due, it takes the env
// lock if nobody live holds it and does the work: drives the release with the engine (which
// applies its control requests in order), rolls back, stops old versions. Several controllers
// may share a store: the advisory lock lets exactly one drive a release; a controller that
// dies loses its session, so another (or itself restarted) takes over at its next tick, and
// EnvLock audits the takeover. Time-based work (pauses, hypercare windows, deployment windows,
// delayed scale-downs) happens here, with no CLI running.

export interface ControllerOptions {
  envs: string[];
  openEnv(name: string): Promise<OpenEnv>;
  /** Between two ticks when nothing wakes the loop. */
  tickMs?: number;
  log(line: string): void;
}

export class Controller {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly actor: Actor = { identity: `controller:${this.id}`, channel: 'controller' };
  private readonly stop = new AbortController();
  private readonly envs = new Map<string, OpenEnv>();
  private readonly drives = new Map<string, Promise<void>>();
  private readonly sessions = new Map<string, pg.Client>();
  private wake: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ControllerOptions) {}

  /** Opens the environments and registers on each store (a live session = a live controller). */
  async start(): Promise<void> {
    for (const name of this.opts.envs) {
      const o = await this.opts.openEnv(name);
      this.envs.set(name, o);
      let session = this.sessions.get(o.storeUrl);
      if (!session) {
        session = new pg.Client({ connectionString: o.storeUrl, application_name: `ccr-server:${this.id}`.slice(0, 63) });
        session.on('error', (err) => this.opts.log(`store session: ${err.message}`));
        await session.connect();
        session.on('notification', () => this.wake?.());
        await session.query('LISTEN ccr_control');
        this.sessions.set(o.storeUrl, session);
      }
    }
    for (const [url, s] of this.sessions) {
      const served = [...this.envs.values()].filter((o) => o.storeUrl === url).map((o) => o.envName);
      await registerController(s, this.id, served);
    }
    this.heartbeat = setInterval(() => {
      for (const s of this.sessions.values()) heartbeatController(s, this.id).catch(() => undefined);
    }, 5000);
    this.heartbeat.unref();
  }

  /** Runs ticks until stopped; with once, one tick and the drives it started. */
  async run(once = false): Promise<void> {
    do {
      for (const name of this.envs.keys()) {
        await this.tick(name).catch((err: Error) => this.opts.log(`${name}: ${err.message}`));
      }
      if (once) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.tickMs ?? 500);
        this.wake = () => { clearTimeout(t); resolve(); };
        this.stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      this.wake = null;
    } while (!this.stop.signal.aborted);
    await Promise.allSettled(this.drives.values());
  }

  /** Stops: drives are interrupted (their releases stay in flight for the next driver). */
  async close(): Promise<void> {
    this.stop.abort();
    this.wake?.();
    await Promise.allSettled(this.drives.values());
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const s of this.sessions.values()) {
      await unregisterController(s, this.id).catch(() => undefined);
      await s.end().catch(() => undefined);
    }
    for (const o of this.envs.values()) await o.close().catch(() => undefined);
  }

  private say(env: string, line: string): void {
    this.opts.log(`[${env}] ${line}`);
  }

  private async tick(name: string): Promise<void> {
    if (this.drives.has(name) || this.stop.signal.aborted) return;
    const o = this.envs.get(name)!;
    const release = await inFlightRelease(o.store, name);
    const envRequests = release ? [] : await dueEnvRequests(o);
    const scaleDownsDue = release ? [] : (await pendingScaleDowns(o.store, name)).filter((p) => Date.parse(p.due) <= Date.now());
    if (!release && !envRequests.length && !scaleDownsDue.length) return;
    const lock = await this.takeLock(o, release?.id ?? null);
    if (!lock) return;
    const work = (async () => {
      try {
        if (release) {
          this.say(name, `driving release ${release.id} (${release.version ?? release.ref}) from ${release.step ?? release.phase}: ${release.state}`);
          const outcome = await driveRelease(o, lock, release, this.actor, {
            progress: (e) => this.say(name, progressText(e).trim()),
            warn: (m) => this.say(name, `warning: ${m}`),
            signal: this.stop.signal,
          });
          this.say(name, `release ${release.id}: ${outcome.state} — ${outcome.reason}`);
        } else {
          if (envRequests.length) await applyEnvRequests(o, this.actor, (l) => this.say(name, l));
          if (scaleDownsDue.length) {
            const stopped = await reapScaleDowns(o.store, name, o.target(), this.actor.identity);
            if (stopped.length) this.say(name, `scaled down ${stopped.join(', ')}`);
          }
        }
      } catch (err) {
        this.say(name, `error: ${(err as Error).message}`);
      } finally {
        await lock.release().catch(() => undefined);
      }
    })();
    const tracked = work.finally(() => this.drives.delete(name));
    this.drives.set(name, tracked);
    // env-level work is short: let the next environment wait for it only when there is one
    if (!release) await tracked;
  }

  /**
   * The env lock, or null when somebody live holds it. A holder whose lease ran out long ago
   * while its session stays (a hung process) has its session ended (audited as a forced
   * release); the lock is taken at the next tick.
   */
  private async takeLock(o: OpenEnv, releaseId: string | null): Promise<EnvLock | null> {
    try {
      return await acquireLock(o, releaseId, this.actor.identity);
    } catch (err) {
      if (!(err instanceof CcrError) || err.code !== 'lock_held') throw err;
      const held = await lockStatus(o.store, o.envName);
      if (held?.state === 'held' && Date.parse(held.expiresAt) + o.env.lockLease < Date.now()) {
        this.say(o.envName, `the lock holder ${held.owner} (pid ${held.pid}) let its lease expire at ${held.expiresAt}: ending its session`);
        await forceReleaseLock(o.store, o.envName, this.actor.identity, `lease expired at ${held.expiresAt}; taken over by ${this.actor.identity}`);
      }
      return null;
    }
  }
}
