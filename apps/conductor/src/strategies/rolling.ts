import { done, type StepResult } from '../engine/step-result.js';
import { data, type DeployContext } from '../engine/deploy-context.js';
import { ROLLING_KEY } from './rolling-state.js';
import { liveInstances, markActive, shiftTraffic } from './traffic.js';

// Rolling: one instance at a time, maxUnavailable 0. Each round starts one new instance and
// waits for it to be ready (the readiness gate), gives it its share of traffic, then detaches
// and stops one old instance. Capacity never drops below the configured instance count.
// Every round derives from what runs, so a resumed conductor simply continues.

export async function reconcileRolling(ctx: DeployContext): Promise<StepResult> {
  const version = ctx.release.version!;
  const stable = data(ctx).stable ?? null;
  const n = ctx.services.instances;
  const target = ctx.services.target;
  for (;;) {
    const fresh = await liveInstances(ctx, version);
    const old = stable ? await liveInstances(ctx, stable) : [];
    if (!old.length && fresh.length >= n) break;
    if (fresh.length < n && fresh.length <= n - old.length) {
      ctx.progress({ type: 'log', level: 'info', message: `rolling: starting instance ${fresh.length + 1}/${n} of ${version}` });
      await target.start(version, 1, { readyTimeoutMs: ctx.env.rolling.readyTimeout });
      continue;
    }
    const share = { [version]: fresh.length, ...(stable ? { [stable]: old.length } : {}) };
    await shiftTraffic(ctx, { api: share, web: old.length > 1 && stable ? { [stable]: 1, [version]: 0 } : { [version]: 1, ...(stable ? { [stable]: 0 } : {}) } }, `rolling ${fresh.length}/${n}`);
    const victim = old[0];
    if (!victim) break;
    await target.detach({ instanceIds: [victim.id] });
    await target.stop(victim.id);
    await ctx.updateState(ROLLING_KEY, { replaced: n - (old.length - 1), of: n });
    ctx.progress({ type: 'log', level: 'info', message: `rolling: replaced ${victim.id} (${old.length - 1} of ${stable} left)` });
  }
  await shiftTraffic(ctx, { api: { [version]: 100 } }, 'rolling complete');
  if (ctx.release.data['activeMarked'] !== true) {
    await markActive(ctx, version, stable);
    await ctx.update({ data: { activeMarked: true } });
  }
  return done(`${n} instance(s) of ${version} replaced ${stable ?? 'nothing'} one at a time`, { weight: 100 });
}
