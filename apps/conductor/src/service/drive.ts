import { createContext } from '../engine/create-context.js';
import { applyPendingControls } from '../engine/apply-control.js';
import type { ProgressSink } from '../engine/context.js';
import { runRelease, type RunOutcome } from '../engine/executor.js';
import { recordAfterRun } from '../report/after-run.js';
import { deployRecovery } from '../rollback/recovery.js';
import { recordedTraffic, reconcileRecord } from '../rollback/traffic-reconcile.js';
import { reapScaleDowns } from '../strategies/scale-down.js';
import { audit, EnvLock, getSteps, rejectPendingOf, type Actor, type Release } from '../store/index.js';
import type { OpenEnv } from './open-env.js';

// Driving a release: holding the environment lock (advisory lock + lease) for the whole run,
// heartbeat included. The controller (`ccr server`), `ccr deploy` with no controller serving
// the environment, and `ccr abort` of an unattended release all come through here, so
// whoever drives a release holds its lock and applies its control requests.

/** Takes the environment lock, or fails fast (lock_held) naming the live holder. */
export async function acquireLock(o: OpenEnv, releaseId: string | null, owner: string): Promise<EnvLock> {
  return EnvLock.acquire(o.storeUrl, { env: o.envName, owner, releaseId, leaseMs: o.env.lockLease });
}

export interface DriveOptions {
  progress: ProgressSink;
  warn: (m: string) => void;
  /** Stops the drive (the release stays in flight for the next driver). Default: SIGINT/SIGTERM of this process. */
  signal?: AbortSignal;
}

function ownerOf(actor: Actor): string {
  return actor.identity.replace(/^os:/, '');
}

export async function driveRelease(o: OpenEnv, lock: EnvLock, release: Release, actor: Actor, d: DriveOptions): Promise<RunOutcome> {
  await lock.setRelease(release.id);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (d.signal) d.signal.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const services = o.services(() => ctx.release.version, d.warn);
  // services read ctx.release.version lazily: the build step sets it after this point
  const ctx = createContext({ store: o.store, config: o.config, envName: o.envName, release, actor, services, progress: d.progress, signal: stop.signal });
  const recovery = deployRecovery();
  try {
    // A driver that died between the router applying a change and its record of it left
    // the record behind: catch it up before going on (traffic-reconcile.ts has the rule).
    const recorded = await recordedTraffic(o.store, o.envName, release.id);
    if (recorded) {
      const line = await reconcileRecord(o.store, { env: o.envName, actor: ownerOf(actor), when: 'resume', view: await services.target.traffic(), record: recorded, inCharge: true });
      d.progress({ type: 'log', level: 'info', message: line });
    }
    if (release.state === 'rolling_back') {
      // Killed in the middle of a rollback: finish it.
      const reason = release.reason.replace(/^rolling back: /, '');
      await recovery.rollback(ctx, reason);
      await ctx.update({ state: 'rolled_back', reason, data: { outcome: { exitCode: 3, state: 'rolled_back' } } });
      await ctx.audit('release.rollback', 'completed', { reason, resumed: true });
      await rejectPendingOf(o.store, release.id, 'the release ended (rolled_back) before it was applied');
      return { state: 'rolled_back', exitCode: 3, reason };
    }
    return await runRelease(ctx, recovery);
  } catch (err) {
    if (stop.signal.aborted) {
      await audit(o.store, { actor, env: o.envName, releaseId: release.id, action: 'conductor.interrupted', result: 'left in flight', details: { step: ctx.release.step } });
      return { state: ctx.release.state, exitCode: 1, reason: `interrupted at ${ctx.release.step ?? ctx.release.phase}; the release is saved: a controller (ccr server) takes it over, or ccr deploy --resume / ccr abort` };
    }
    throw err;
  } finally {
    if (d.signal) d.signal.removeEventListener('abort', onSignal);
    else {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await reapScaleDowns(o.store, o.envName, services.target, ownerOf(actor)).catch((err: Error) => d.warn(`scale-down: ${err.message}`));
    await recordAfterRun(o.store, o.paths.home, release.id, d.warn);
  }
}

/**
 * Applies a release's pending control requests without driving it (the caller holds the lock
 * and nobody else drives): a pause, resume, approval, promote or hypercare end is recorded
 * now and acted on by whoever drives the release next.
 */
export async function applyControlsNow(o: OpenEnv, release: Release, actor: Actor, progress: ProgressSink): Promise<Release> {
  const ctx = createContext({ store: o.store, config: o.config, envName: o.envName, release, actor, services: { paths: o.paths, databaseUrl: o.appDatabaseUrl }, progress });
  const done = new Set((await getSteps(o.store, release.id)).filter((s) => s.status === 'done' || s.status === 'skipped').map((s) => s.stepId));
  await applyPendingControls(ctx, (id) => done.has(id));
  return ctx.release;
}
