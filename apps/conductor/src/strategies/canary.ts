import { continueAnalysis, startAnalysis } from '../analysis/analysis-step.js';
import type { AnalysisConfig, CanaryStep } from '../config/index.js';
import { formatDuration } from '../config/index.js';
import { done, fail, wait, type StepResult } from '../engine/step-result.js';
import { data, type DeployContext } from '../engine/deploy-context.js';
import { CANARY_KEY, readCanary, type CanaryState } from './canary-state.js';
import { ensureInstances, markActive, shiftTraffic } from './traffic.js';

// Canary: the new version's instances start beside the stable ones, then the api service's
// weight follows the configured steps ({weight, pause?} | {pause} | {analysis}). Progress is
// persisted in release.data.canary (canary-state.ts, merged in SQL) after every move, so a
// resumed controller continues at the same step and weight. A claimed `promote` control request
// sets canary.promote and jumps to 100%; pause/resume are handled by the executor. A failed
// analysis fails the step, and the executor's recovery puts the weight back on stable.

export function canarySteps(ctx: DeployContext): CanaryStep[] {
  return ctx.env.canary?.steps ?? [{ weight: 100 }];
}

function analysisConfig(ctx: DeployContext, ref: string | AnalysisConfig): { name: string; cfg: AnalysisConfig } {
  if (typeof ref !== 'string') return { name: 'inline', cfg: ref };
  const cfg = ctx.config.analysis[ref];
  if (!cfg) throw new Error(`analysis template ${ref} is not defined`);
  return { name: ref, cfg };
}

/** Merges fields into the stored canary state; null clears one. */
async function save(ctx: DeployContext, patch: { [K in keyof CanaryState]?: CanaryState[K] | null }): Promise<void> {
  await ctx.updateState(CANARY_KEY, patch);
}

async function finish(ctx: DeployContext, version: string, stable: string | null, why: string): Promise<StepResult> {
  const c = readCanary(ctx.release) ?? { index: 0, weight: 0 };
  if (c.weight !== 100) await shiftTraffic(ctx, { api: { [version]: 100, ...(stable ? { [stable]: 0 } : {}) } }, why);
  await save(ctx, { weight: 100, index: canarySteps(ctx).length, pauseUntil: null, analysis: null });
  if (ctx.release.data['activeMarked'] !== true) {
    await markActive(ctx, version, stable);
    await ctx.update({ data: { activeMarked: true } });
  }
  return done(`${version} takes 100% of api traffic (${why})`, { weight: 100 });
}

/** Drivers (contexts) that have checked the router against the recorded weight once. */
const weightChecked = new WeakSet<object>();

export async function reconcileCanary(ctx: DeployContext, stepId: string): Promise<StepResult> {
  const version = ctx.release.version!;
  const stable = data(ctx).stable ?? null;
  const steps = canarySteps(ctx);
  await ensureInstances(ctx, version, ctx.services.instances, ctx.env.rolling.readyTimeout);
  let c: CanaryState = readCanary(ctx.release) ?? { index: 0, weight: 0 };
  if ((ctx.release.data[CANARY_KEY] as { index?: number } | undefined)?.index === undefined) {
    // Known to the router at weight 0 before any user traffic: pinned requests reach it.
    if (stable) await shiftTraffic(ctx, { api: { [stable]: 100, [version]: 0 }, web: { [stable]: 100, [version]: 0 } }, 'attach canary at 0%');
    await save(ctx, { index: 0, weight: 0 });
  }
  if (c.weight > 0 && c.weight < 100 && !weightChecked.has(ctx)) {
    weightChecked.add(ctx);
    // A resumed driver: the router must carry the recorded weight (the previous driver may
    // have died between recording it and the shift).
    const view = await ctx.services.target.traffic();
    const total = Object.values(view.split.api).reduce((a, b) => a + b, 0);
    const share = total ? Math.round(((view.split.api[version] ?? 0) / total) * 100) : 0;
    if (share !== c.weight) await shiftTraffic(ctx, { api: { [version]: c.weight, ...(stable ? { [stable]: 100 - c.weight } : {}) } }, `canary step ${c.index + 1}: restore weight ${c.weight}`);
  }
  if (c.promote) {
    await ctx.audit('canary.promote', 'ok', { by: c.promote.by, request: c.promote.requestId, atStep: c.index, weight: c.weight });
    return finish(ctx, version, stable, `promoted by ${c.promote.by}, skipping the remaining steps`);
  }
  for (;;) {
    if (c.index >= steps.length) return finish(ctx, version, stable, 'all canary steps passed');
    const s = steps[c.index]!;
    const label = `canary step ${c.index + 1}/${steps.length}`;
    if ('weight' in s && c.pauseUntil === undefined && c.weight !== s.weight) {
      if (s.weight === 100) return finish(ctx, version, stable, `${label}: weight 100`);
      // recorded first: a driver killed during the shift leaves the intended weight, which
      // its successor re-applies (below) instead of starting the step over
      c = { ...c, weight: s.weight };
      await save(ctx, { weight: s.weight });
      await shiftTraffic(ctx, { api: { [version]: s.weight, ...(stable ? { [stable]: 100 - s.weight } : {}) } }, `${label}: weight ${s.weight}`);
      if (s.weight > 0) await ctx.services.notifier?.notify('progress', { releaseId: ctx.release.id, env: ctx.envName, version, previousVersion: stable, percent: s.weight, reason: `${label}: ${s.weight}% of api traffic on ${version}` });
    }
    if ('pause' in s && s.pause !== undefined) {
      if (c.pauseUntil === undefined) {
        c = { ...c, pauseUntil: Date.now() + s.pause };
        await save(ctx, { pauseUntil: c.pauseUntil });
      }
      const left = (c.pauseUntil ?? 0) - Date.now();
      if (left > 0) return wait(`${label}: ${c.weight}% on ${version}, pausing ${formatDuration(s.pause)}`, Math.min(left, 1000), { weight: c.weight, step: c.index });
    }
    if ('analysis' in s) {
      const { name, cfg } = analysisConfig(ctx, s.analysis);
      const st = c.analysis ?? (await startAnalysis(ctx, name));
      if (!c.analysis) {
        c = { ...c, analysis: st };
        await save(ctx, { analysis: st });
      }
      const out = await continueAnalysis(ctx, stepId, cfg, st, version, stable);
      if (out.status === 'wait') {
        c = { ...c, analysis: out.state };
        await save(ctx, { analysis: out.state });
        return wait(`${label}: ${c.weight}% on ${version}; ${out.reason}`, out.retryAfterMs, { weight: c.weight, step: c.index });
      }
      if (out.status === 'fail') {
        await ctx.audit('analysis.failed', out.reason, { analysis: name, weight: c.weight, measurements: out.measurements.map((m) => ({ metric: m.metric, verdict: m.verdict, value: m.value, baseline: m.baseline, threshold: m.threshold, sampleSize: m.sampleSize, reason: m.reason })) });
        await ctx.services.notifier?.notify('issue', {
          releaseId: ctx.release.id, env: ctx.envName, version, previousVersion: stable, reason: out.reason,
          metrics: out.measurements.filter((m) => m.verdict !== 'pass').map((m) => ({ name: m.metric, value: m.value, threshold: m.threshold, baseline: m.baseline })),
        });
        return fail(`${label} at ${c.weight}%: ${out.reason}`, { weight: c.weight, step: c.index });
      }
      await ctx.audit('analysis.passed', out.reason, { analysis: name, weight: c.weight });
    }
    const { pauseUntil: _drop, analysis: _a, ...rest } = c;
    c = { ...rest, index: c.index + 1 };
    await save(ctx, { index: c.index, pauseUntil: null, analysis: null });
  }
}
