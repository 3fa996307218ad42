import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../errors.js';
import { resolvePlan } from '../plan/resolve.js';
import { STRATEGIES, type StrategyName } from '../config/index.js';
import { nearest, unknownValue } from '../suggest.js';
import {
  audit, controlParams, createRelease, describeRequest, getControlRequest, getEnvState, getRelease, inFlightRelease, liveControllers,
  lockStatus, recordControlRequest, updateRelease,
  type Actor, type ControlAction, type ControlRequest, type ControllerInfo, type LockInfo, type Release,
} from '../store/index.js';
import type { OpenEnv } from './open-env.js';

// The release service: the one way callers (the CLI today, the HTTP API next) start, resume and
// steer releases. It validates, records (releases, control_requests) and audits with the
// caller's identity and channel; it never drives a release itself. Driving is the job of
// whoever holds the environment lock: the controller (`ccr server`), or the CLI in-process when
// no controller serves the environment (service/drive.ts).

export interface StartInput {
  /** Must name the service's environment when given (the HTTP API passes it from the path). */
  env?: string;
  ref: string;
  strategy?: string;
  options?: { maintenance?: boolean; yes?: boolean; outsideWindow?: string };
}

export interface ControlInput {
  env?: string;
  /** Default: the environment's release in flight (none for a rollback). */
  releaseId?: string | null;
  action: ControlAction;
  params?: Record<string, unknown>;
}

export interface Attendance {
  /** A live controller serves the environment: it will drive any release and apply any request. */
  controller: ControllerInfo | null;
  /** The env lock's holder, when its session is alive (someone drives right now). */
  driver: LockInfo | null;
}

export class ReleaseService {
  constructor(readonly o: OpenEnv) {}

  private checkEnv(env: string | undefined): void {
    if (env !== undefined && env !== this.o.envName) throw new CcrError('usage', `this service serves ${this.o.envName}, not ${env}`);
  }

  /** Validates and records a new release (state running); the caller or the controller drives it. */
  async startRelease(input: StartInput, actor: Actor): Promise<Release> {
    const o = this.o;
    this.checkEnv(input.env);
    if (!input.ref || input.ref.length > 200) throw new CcrError('usage', 'ref: give a git tag, branch or commit (at most 200 characters)');
    const strategy = input.strategy ?? o.env.strategy;
    if (!STRATEGIES.includes(strategy as StrategyName)) throw new CcrError('usage', `strategy: ${unknownValue('strategy', strategy, STRATEGIES)}`);
    if (strategy === 'canary' && !o.env.canary) throw new CcrError('config_invalid', `environments.${o.envName}.canary: a canary needs steps; add them or pick another strategy`);
    if (o.env.appEnv === 'production' && !input.options?.yes) throw new CcrError('usage', `${o.envName} is a production environment: confirm it (--yes)`);
    const running = await inFlightRelease(o.store, o.envName);
    if (running) throw new CcrError('conflict', `release ${running.id} (${running.version ?? running.ref}) is in flight (${running.state} at ${running.step ?? running.phase}); follow it (ccr watch ${running.id}), or ccr abort it first`);
    const view = await o.target().traffic();
    const apiVersions = Object.keys(view.split.api);
    if (apiVersions.length > 1) throw new CcrError('conflict', `api traffic is split between ${apiVersions.join(', ')} with no release in flight; put it on one version first (ccr rollback --to <version>)`);
    const stable = apiVersions[0] ?? (await getEnvState(o.store, o.envName)).activeVersion ?? null;
    const plan = resolvePlan(o.config, o.envName);
    const opts = input.options ?? {};
    let release: Release;
    try {
      release = await createRelease(o.store, {
        env: o.envName, ref: input.ref, strategy, startedBy: actor.identity, phase: plan[0]?.phase ?? 'pre-deployment', previousVersion: stable,
        options: { maintenance: opts.maintenance === true, yes: opts.yes === true, ...(opts.outsideWindow ? { outsideWindow: opts.outsideWindow } : {}) },
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new CcrError('conflict', `another release of ${o.envName} was started at the same moment`, { cause: err });
      throw err;
    }
    release = await updateRelease(o.store, release.id, { data: { stable } });
    await audit(o.store, { actor, env: o.envName, releaseId: release.id, action: 'release.started', result: 'ok', details: { ref: input.ref, strategy, stable } });
    return release;
  }

  /** Records that a person resumes a release in flight (the driver continues where it stopped). */
  async resumeRelease(id: string | null, actor: Actor): Promise<Release> {
    const o = this.o;
    const r = id ? await getRelease(o.store, id) : await inFlightRelease(o.store, o.envName);
    if (!r || r.env !== o.envName) throw new CcrError('not_found', id ? `no release ${id} in ${o.envName}` : `no release of ${o.envName} is in flight; nothing to resume`);
    if (!['running', 'waiting', 'paused', 'rolling_back'].includes(r.state)) throw new CcrError('conflict', `release ${r.id} is ${r.state}; it has ended`);
    await audit(o.store, { actor, env: o.envName, releaseId: r.id, action: 'release.resume', result: 'ok', details: { step: r.step, state: r.state } });
    return r;
  }

  /**
   * Records a control request, validated. A request that conflicts with a pending one is
   * recorded as rejected and answered with `conflict` naming the pending one.
   */
  async requestControl(input: ControlInput, actor: Actor): Promise<ControlRequest> {
    const o = this.o;
    this.checkEnv(input.env);
    const parsed = controlParams[input.action].safeParse(input.params ?? {});
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new CcrError('usage', `${input.action}: params${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
    }
    const params = parsed.data as Record<string, unknown>;
    let releaseId: string | null = null;
    if (input.action === 'rollback') {
      const running = await inFlightRelease(o.store, o.envName);
      if (running) throw new CcrError('conflict', `release ${running.id} is in flight (${running.state}); use \`ccr abort\`, which rolls it back`);
    } else {
      const r = input.releaseId ? await getRelease(o.store, input.releaseId) : await inFlightRelease(o.store, o.envName);
      if (!r || r.env !== o.envName) throw new CcrError('not_found', input.releaseId ? `no release ${input.releaseId} in ${o.envName}` : `no release of ${o.envName} is in flight`);
      if (!['running', 'waiting', 'paused', 'rolling_back'].includes(r.state)) throw new CcrError('conflict', `release ${r.id} is ${r.state}; it has ended`);
      this.precheck(r, input.action, params);
      releaseId = r.id;
    }
    const { request, conflict } = await recordControlRequest(o.store, { env: o.envName, releaseId, action: input.action, params }, actor);
    await audit(o.store, { actor, env: o.envName, releaseId, action: `control.${input.action}`, result: conflict ? `rejected: ${request.result}` : 'requested', details: { request: request.id, ...(Object.keys(params).length ? { params } : {}) } });
    if (conflict) {
      throw new CcrError('conflict', `${input.action} refused: ${describeRequest(conflict)} is still pending; wait until it is applied, then ask again`, {
        details: { request, pending: conflict },
      });
    }
    return request;
  }

  /** Refuses what can never apply, before it is recorded (bad input gets a 4xx, not a request). */
  private precheck(r: Release, action: ControlAction, params: Record<string, unknown>): void {
    if (action === 'promote' && r.strategy !== 'canary') throw new CcrError('conflict', `release ${r.id} uses ${r.strategy}; only a canary has steps to skip`);
    if (action === 'pause' && r.state === 'paused') throw new CcrError('conflict', `release ${r.id} is already paused`);
    if (action === 'pause' && r.state === 'rolling_back') throw new CcrError('conflict', `release ${r.id} is rolling back; it cannot be paused`);
    if (action === 'resume' && r.state !== 'paused') throw new CcrError('conflict', `release ${r.id} is ${r.state}, not paused`);
    if (action === 'approve') {
      const plan = resolvePlan(this.o.config, this.o.envName);
      const step = plan.find((s) => s.step.id === params['step']);
      if (!step) {
        const guess = nearest(String(params['step']), plan.filter((s) => s.step.kind === 'manual').map((s) => s.step.id));
        throw new CcrError('usage', `no step "${String(params['step'])}" in the ${this.o.envName} plan${guess ? `: did you mean ${guess}?` : ''}`);
      }
      if (step.step.kind !== 'manual') throw new CcrError('usage', `step "${step.step.id}" is ${step.step.kind}, not a manual sign-off`);
    }
  }

  approve(input: { env?: string; releaseId?: string | null; step: string; note: string }, actor: Actor): Promise<ControlRequest> {
    return this.requestControl({ ...(input.env ? { env: input.env } : {}), releaseId: input.releaseId ?? null, action: 'approve', params: { step: input.step, note: input.note } }, actor);
  }

  rollback(input: { env?: string; to?: string; keep?: boolean }, actor: Actor): Promise<ControlRequest> {
    return this.requestControl({ ...(input.env ? { env: input.env } : {}), action: 'rollback', params: { ...(input.to ? { to: input.to } : {}), ...(input.keep ? { keep: true } : {}) } }, actor);
  }

  /** Who is in charge of the environment: a live controller, and the live lock holder. */
  async attendance(): Promise<Attendance> {
    const [controllers, lock] = await Promise.all([liveControllers(this.o.store, this.o.envName), lockStatus(this.o.store, this.o.envName)]);
    return { controller: controllers[0] ?? null, driver: lock?.state === 'held' ? lock : null };
  }

  /** Waits until a request is applied or rejected, or the deadline (then it is returned pending). */
  async waitForDecision(id: number, timeoutMs: number, signal?: AbortSignal): Promise<ControlRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await getControlRequest(this.o.store, id);
      if (!r) throw new CcrError('not_found', `control request #${id} disappeared`);
      if (r.state !== 'pending' || Date.now() > deadline || signal?.aborted) return r;
      await sleep(100);
    }
  }
}
