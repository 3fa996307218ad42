import { createContext } from '../engine/create-context.js';
import { runRelease, type RunOutcome } from '../engine/executor.js';
import { deployRecovery } from '../rollback/recovery.js';
import { recordedTraffic, reconcileRecord } from '../rollback/traffic-reconcile.js';
import { reapScaleDowns } from '../strategies/scale-down.js';
import { recordAfterRun } from '../report/after-run.js';
import { audit, currentActor, EnvLock, type Release } from '../store/index.js';
import type { ProgressSink } from '../engine/context.js';
import type { OpenEnv } from './open-env.js';

// Running a release in charge: holding the environment lock (advisory lock + lease) for the
// whole run, heartbeat included. `ccr deploy`, `ccr deploy --resume` and `ccr abort` of an
// unattended release all come through here, so whoever runs it owns it.

export async function acquireLock(o: OpenEnv, releaseId: string | null): Promise<EnvLock> {
  return EnvLock.acquire(o.storeUrl, { env: o.envName, owner: currentActor(), releaseId, leaseMs: o.env.lockLease });
}

export async function runInCharge(o: OpenEnv, lock: EnvLock, release: Release, progress: ProgressSink, warn: (m: string) => void): Promise<RunOutcome> {
  await lock.setRelease(release.id);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const services = o.services(() => ctx.release.version, warn);
  // services read ctx.release.version lazily: the build step sets it after this point
  const ctx = createContext({ store: o.store, config: o.config, envName: o.envName, release, actor: currentActor(), services, progress, signal: stop.signal });
  const recovery = deployRecovery();
  try {
    // A conductor that died between the router applying a change and its record of it left
    // the record behind: catch it up before going on (traffic-reconcile.ts has the rule).
    const recorded = await recordedTraffic(o.store, o.envName, release.id);
    if (recorded) {
      const line = await reconcileRecord(o.store, { env: o.envName, actor: currentActor(), when: 'resume', view: await services.target.traffic(), record: recorded, inCharge: true });
      progress({ type: 'log', level: 'info', message: line });
    }
    if (release.state === 'rolling_back') {
      // Killed in the middle of a rollback: finish it.
      const reason = release.reason.replace(/^rolling back: /, '');
      await recovery.rollback(ctx, reason);
      await ctx.update({ state: 'rolled_back', reason });
      await ctx.audit('release.rollback', 'completed', { reason, resumed: true });
      return { state: 'rolled_back', exitCode: 3, reason };
    }
    const outcome = await runRelease(ctx, recovery);
    return outcome;
  } catch (err) {
    if (stop.signal.aborted) {
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: release.id, action: 'conductor.interrupted', result: 'left in flight', details: { step: ctx.release.step } });
      return { state: ctx.release.state, exitCode: 1, reason: `interrupted at ${ctx.release.step ?? ctx.release.phase}; the release is saved: ccr deploy --resume or ccr abort` };
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reapScaleDowns(o.store, o.envName, services.target, currentActor()).catch((err: Error) => warn(`scale-down: ${err.message}`));
    await recordAfterRun(o.store, o.paths.home, release.id, warn);
  }
}
