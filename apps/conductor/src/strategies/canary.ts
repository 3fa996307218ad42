import { continueAnalysis, startAnalysis, type AnalysisState } from '../analysis/analysis-step.js';
import type { AnalysisConfig, CanaryStep } from '../config/index.js';
import { formatDuration } from '../config/index.js';
import { done, fail, wait, type StepResult } from '../engine/step-result.js';
import { data, type DeployContext } from '../engine/deploy-context.js';
import { ensureInstances, markActive, shiftTraffic } from './traffic.js';

// Canary: the new version's instances start beside the stable ones, then the api service's
// weight follows the configured steps ({weight, pause?} | {pause} | {analysis}). Progress is
// persisted in release.data.canary after every move, so a resumed conductor continues at the
// same step and weight. `ccr promote` (control action) jumps to 100%; pause/resume are
// handled by the executor. A failed analysis fails the step, and the executor's recovery puts
// the weight back on stable.

interface CanaryData {
  index: number;
  /** Set while a {pause} or a weight's pause runs: epoch ms when it ends. */
  pauseUntil?: number;
  weight: number;
  analysis?: AnalysisState;
}

export function canarySteps(ctx: DeployContext): CanaryStep[] {
  return ctx.env.canary?.steps ?? [{ weight: 100 }];
}

function analysisConfig(ctx: DeployContext, ref: string | AnalysisConfig): { name: string; cfg: AnalysisConfig } {
  if (typeof ref !== 'string') return { name: 'inline', cfg: ref };
  const cfg = ctx.config.analysis[ref];
  if (!cfg) throw new Error(`analysis template ${ref} is not defined`);
  return { name: ref, cfg };
}

async function save(ctx: DeployContext, c: CanaryData): Promise<void> {
  await ctx.update({ data: { canary: c } });
}

async function finish(ctx: DeployContext, version: string, stable: string | null, why: string): Promise<StepResult> {
  const c = ctx.release.data['canary'] as CanaryData;
  if (c.weight !== 100) await shiftTraffic(ctx, { api: { [version]: 100, ...(stable ? { [stable]: 0 } : {}) } }, why);
  await save(ctx, { ...c, weight: 100, index: canarySteps(ctx).length });
  if (ctx.release.data['activeMarked'] !== true) {
    await markActive(ctx, version, stable);
    await ctx.update({ data: { activeMarked: true } });
  }
  return done(`${version} takes 100% of api traffic (${why})`, { weight: 100 });
}

export async function reconcileCanary(ctx: DeployContext, stepId: string): Promise<StepResult> {
  const version = ctx.release.version!;
  const stable = data(ctx).stable ?? null;
  const steps = canarySteps(ctx);
  await ensureInstances(ctx, version, ctx.services.instances, ctx.env.rolling.readyTimeout);
  let c = (ctx.release.data['canary'] as CanaryData | undefined) ?? { index: 0, weight: 0 };
  if (!ctx.release.data['canary']) {
    // Known to the router at weight 0 before any user traffic: pinned requests reach it.
    if (stable) await shiftTraffic(ctx, { api: { [stable]: 100, [version]: 0 }, web: { [stable]: 100, [version]: 0 } }, 'attach canary at 0%');
    await save(ctx, c);
  }
  const control = data(ctx).control;
  if (control?.action === 'promote') {
    await ctx.audit('canary.promote', 'ok', { by: control.by, atStep: c.index, weight: c.weight });
    await ctx.update({ data: { control: null } });
    return finish(ctx, version, stable, `promoted by ${control.by}, skipping the remaining steps`);
  }
  for (;;) {
    if (c.index >= steps.length) return finish(ctx, version, stable, 'all canary steps passed');
    const s = steps[c.index]!;
    const label = `canary step ${c.index + 1}/${steps.length}`;
    if ('weight' in s && c.pauseUntil === undefined && c.weight !== s.weight) {
      if (s.weight === 100) return finish(ctx, version, stable, `${label}: weight 100`);
      await shiftTraffic(ctx, { api: { [version]: s.weight, ...(stable ? { [stable]: 100 - s.weight } : {}) } }, `${label}: weight ${s.weight}`);
      c = { ...c, weight: s.weight };
      await save(ctx, c);
      if (s.weight > 0) await ctx.services.notifier?.notify('progress', { releaseId: ctx.release.id, env: ctx.envName, version, previousVersion: stable, percent: s.weight, reason: `${label}: ${s.weight}% of api traffic on ${version}` });
    }
    if ('pause' in s && s.pause !== undefined) {
      if (c.pauseUntil === undefined) {
        c = { ...c, pauseUntil: Date.now() + s.pause };
        await save(ctx, c);
      }
      const left = (c.pauseUntil ?? 0) - Date.now();
      if (left > 0) return wait(`${label}: ${c.weight}% on ${version}, pausing ${formatDuration(s.pause)}`, Math.min(left, 1000), { weight: c.weight, step: c.index });
    }
    if ('analysis' in s) {
      const { name, cfg } = analysisConfig(ctx, s.analysis);
      const st = c.analysis ?? (await startAnalysis(ctx, name));
      if (!c.analysis) {
        c = { ...c, analysis: st };
        await save(ctx, c);
      }
      const out = await continueAnalysis(ctx, stepId, cfg, st, version, stable);
      if (out.status === 'wait') {
        c = { ...c, analysis: out.state };
        await save(ctx, c);
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
    await save(ctx, c);
  }
}
