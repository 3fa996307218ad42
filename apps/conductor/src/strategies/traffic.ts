import { setActiveVersion } from '../store/index.js';
import type { TrafficPlan, TrafficView } from '../engine/deploy-target.js';
import type { DeployContext } from '../engine/deploy-context.js';

// Every traffic change of a release goes through here: the target applies it atomically, then
// the split is recorded (traffic_history), shown (progress) and, once user traffic reaches
// the new version, release.data.trafficMoved is persisted so a failure rolls back.

export async function shiftTraffic(ctx: DeployContext, plan: TrafficPlan, why: string): Promise<TrafficView> {
  const version = ctx.release.version;
  const gives = version !== null && Object.values(plan).some((p) => (p?.[version] ?? 0) > 0);
  // Persisted before the switch: if we die in between, recovery assumes traffic may have moved.
  if (gives && ctx.release.data['trafficMoved'] !== true) await ctx.update({ data: { trafficMoved: true } });
  const view = await ctx.services.target.route(plan);
  for (const service of Object.keys(plan) as Array<keyof TrafficPlan>) {
    await ctx.store.query('INSERT INTO traffic_history (release_id, env, service, weights) VALUES ($1, $2, $3, $4)', [ctx.release.id, ctx.envName, service, view.split[service]]);
    ctx.progress({ type: 'weights', service, weights: view.split[service] });
  }
  await ctx.audit('traffic.shift', 'ok', { why, split: view.split });
  return view;
}

/** The new version is now the one users get: remember it (and what to roll back to). */
export async function markActive(ctx: DeployContext, version: string, previous: string | null): Promise<void> {
  await setActiveVersion(ctx.store, ctx.envName, version, previous);
  await ctx.services.onPromoted?.(version);
  await ctx.audit('environment.active', 'ok', { version, previous });
}

/** Instances of a version the target runs (not being stopped). */
export async function liveInstances(ctx: DeployContext, version: string) {
  return (await ctx.services.target.instances()).filter((i) => i.version === version && i.state !== 'stopping');
}

/** Starts instances until `count` of the version run; idempotent across resumes. */
export async function ensureInstances(ctx: DeployContext, version: string, count: number, readyTimeoutMs?: number): Promise<number> {
  const have = (await liveInstances(ctx, version)).length;
  if (have >= count) return 0;
  ctx.progress({ type: 'log', level: 'info', message: `starting ${count - have} instance(s) of ${version}` });
  await ctx.services.target.start(version, count - have, readyTimeoutMs ? { readyTimeoutMs } : {});
  return count - have;
}

