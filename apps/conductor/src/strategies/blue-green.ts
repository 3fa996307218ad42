import { formatDuration } from '../config/index.js';
import { done, fail, type StepResult } from '../engine/step-result.js';
import { pinnedSmoke } from './pinned-smoke.js';
import { data, type DeployContext } from '../engine/deploy-context.js';
import { BLUE_GREEN_KEY, readBlueGreen, type BlueGreenState } from './blue-green-state.js';
import { ensureInstances, markActive, shiftTraffic } from './traffic.js';

// Blue/green: the new version's instances start beside the old ones and must be ready; the
// smoke suite runs pinned to them before any user traffic; then all api traffic switches in
// one router state change. The release is promoted at the switch. The old instances stay
// attached at weight 0 (warm: switching back is one state change) until scaleDownDelay has
// passed; the due time is recorded in the release so whichever ccr process runs next stops
// them (strategies/scale-down.ts), even if this one has exited.

type Stage = BlueGreenState['stage'];

export async function reconcileBlueGreen(ctx: DeployContext): Promise<StepResult> {
  const version = ctx.release.version!;
  const stable = data(ctx).stable ?? null;
  const cfg = ctx.env.blueGreen;
  let stage: Stage = readBlueGreen(ctx.release)?.stage ?? 'start';
  const next = async (s: Stage, extra: Partial<BlueGreenState> = {}) => {
    stage = s;
    await ctx.updateState(BLUE_GREEN_KEY, { stage: s, ...extra });
  };
  if (stage === 'start') {
    const started = await ensureInstances(ctx, version, ctx.services.instances, ctx.env.rolling.readyTimeout);
    if (stable) await shiftTraffic(ctx, { api: { [stable]: 100, [version]: 0 }, web: { [stable]: 100, [version]: 0 } }, 'attach green at 0%');
    ctx.progress({ type: 'log', level: 'info', message: `${version}: ${ctx.services.instances} instance(s) ready${started ? ` (${started} started)` : ''}, no user traffic yet` });
    await next('smoke');
  }
  if (stage === 'smoke') {
    if (cfg.prePromotionSmoke) {
      const smoke = await pinnedSmoke(ctx, version);
      if (!smoke.ok) return fail(`pre-traffic smoke tests of ${version} failed: ${smoke.summary}`);
    }
    await next('switch');
  }
  if (stage === 'switch') {
    await shiftTraffic(ctx, { api: { [version]: 100, ...(stable ? { [stable]: 0 } : {}) } }, 'switch');
    await markActive(ctx, version, stable);
    if (stable) {
      const due = new Date(Date.now() + cfg.scaleDownDelay).toISOString();
      await ctx.update({ data: { scaleDown: { version: stable, due } } });
      await ctx.audit('scale-down.scheduled', 'ok', { version: stable, due });
    }
    await next('done', { switchedAt: new Date().toISOString() });
  }
  return done(`all api traffic on ${version}${stable ? `; ${stable} kept warm for ${formatDuration(cfg.scaleDownDelay)}` : ''}`, { weight: 100 });
}
