import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../errors.js';
import { acquireLock, applyControlsNow, driveRelease } from '../service/drive.js';
import { applyRollbackRequest, rollbackOutcomeOf, type RollbackOutcome } from '../service/env-rollback.js';
import type { OpenEnv } from '../service/open-env.js';
import { ReleaseService, type ControlInput } from '../service/release-service.js';
import { cliActor, describeRequest, getControlRequest, getRelease, type ControlRequest, type Release } from '../store/index.js';
import { progressSink } from './deploy-progress.js';
import { progress, type GlobalOptions } from './output.js';

// The CLI side of a control request: record it through the release service, then see it
// applied. Whoever holds the environment lock applies requests: if nobody live holds it, this
// process takes the lock and applies it itself (an abort then drives the rollback here; a
// rollback switches here, with no round trip through a controller). Otherwise, or when a
// controller wins the lock first, it waits for the driver's decision.

export interface Applied {
  request: ControlRequest;
  /** The release after the request (release-level requests). */
  release: Release | null;
  /** Set when this process performed a rollback itself. */
  rollback: RollbackOutcome | null;
  /** Who applied it: this process, or the driver (controller or another ccr). */
  appliedHere: boolean;
}

export async function requestAndApply(o: OpenEnv, input: ControlInput, opts: GlobalOptions, timeoutMs: number): Promise<Applied> {
  const service = new ReleaseService(o);
  const actor = cliActor();
  const request = await service.requestControl(input, actor);
  progress(opts, `recorded ${describeRequest(request)}`);
  const att = await service.attendance();
  if (!att.driver) {
    const lock = await acquireLock(o, request.releaseId, actor.identity.replace(/^os:/, '')).catch((err: unknown) => {
      if (err instanceof CcrError && err.code === 'lock_held') return null; // someone took it meanwhile: they apply it
      throw err;
    });
    if (lock) {
      progress(opts, 'nobody drives this environment: applying it here');
      try {
        if (request.releaseId === null) {
          const outcome = await applyRollbackRequest(o, request, actor, (l) => progress(opts, l));
          return { request: (await getControlRequest(o.store, request.id))!, release: null, rollback: outcome, appliedHere: true };
        }
        let release = (await getRelease(o.store, request.releaseId))!;
        if (request.action === 'abort') {
          const outcome = await driveRelease(o, lock, release, actor, { progress: progressSink(opts), warn: (m) => progress(opts, `warning: ${m}`) });
          release = { ...((await getRelease(o.store, release.id)) ?? release), state: outcome.state, reason: outcome.reason };
        } else {
          release = await applyControlsNow(o, release, actor, progressSink(opts));
        }
        return { request: (await getControlRequest(o.store, request.id))!, release, rollback: null, appliedHere: true };
      } finally {
        await lock.release().catch(() => undefined);
      }
    }
  }
  const who = att.driver ? `${att.driver.owner} (pid ${att.driver.pid})` : 'the lock holder';
  progress(opts, `waiting for ${who} to apply it`);
  const decided = await service.waitForDecision(request.id, timeoutMs);
  if (decided.state === 'pending') {
    throw new CcrError('internal', `${describeRequest(decided)} was not applied within ${Math.round(timeoutMs / 1000)} s; it stays pending and its driver applies it when it gets to it (ccr status shows it)`);
  }
  const rollback = decided.releaseId === null && decided.state === 'applied' ? await rollbackOutcomeOf(o, decided.id) : null;
  return { request: decided, release: decided.releaseId ? await getRelease(o.store, decided.releaseId) : null, rollback, appliedHere: false };
}

/** Refuses a rejected request with its reason (code conflict: the state did not allow it). */
export function mustBeApplied(a: Applied): void {
  if (a.request.state === 'rejected') throw new CcrError('conflict', `${describeRequest(a.request)} was rejected: ${a.request.result}`, { details: { request: a.request } });
}

/** Waits until a release satisfies `ok` (or has ended), up to the deadline. */
export async function waitForRelease(o: OpenEnv, id: string, ok: (r: Release) => boolean, timeoutMs: number): Promise<Release> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRelease(o.store, id);
    if (!r) throw new CcrError('not_found', `release ${id} disappeared`);
    if (ok(r) || Date.now() > deadline) return r;
    await sleep(150);
  }
}
