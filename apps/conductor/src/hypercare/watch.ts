import { formatDuration } from '../config/duration.js';
import type { PlanStep } from '../config/index.js';
import { recordMeasurement } from '../analysis/record.js';
import type { Measurement } from '../analysis/metric-provider.js';
import { done, fail, wait, type StepResult } from '../engine/step-result.js';
import type { Notifier } from '../notify/index.js';
import { createNotifier } from '../notify/index.js';
import type { DeployContext } from '../engine/deploy-context.js';
import type { VersionCounters } from '../engine/deploy-target.js';
import { END_KEY, type HypercareEndRequest } from './control.js';
import { hypercareParams, type HypercareParams } from './params.js';
import { diskSignal, outboxSignals, querySignals, restartSignal, trafficSignals } from './signals.js';

// The hypercare step (seed III.1): after promotion, watch the new version for `duration`,
// checking every `interval`. A breach fails the step, and the engine then does what the
// environment's rollback policy says (automatic: switch back to the stable version, which
// notifies rollback-initiated/completed; otherwise pause with a person in charge). The breach
// itself is audited and announced as an `issue` with the numbers. State lives in
// release.data.hypercare, so a restarted conductor carries on with the same deadline.

export interface HypercareState {
  step: string;
  version: string;
  startedAt: string;
  endsAt: string;
  lastCheckAt: string | null;
  checks: number;
  instances: number;
  before: VersionCounters[];
}

type AutomatedStep = Extract<PlanStep, { kind: 'automated' }>;


function notifierOf(ctx: DeployContext): Notifier {
  return ctx.services?.notifier ?? createNotifier(ctx.env, ctx.store);
}

async function runChecks(ctx: DeployContext, p: HypercareParams, st: HypercareState): Promise<{ measurements: Measurement[]; after: VersionCounters[] | null }> {
  const target = ctx.services.target;
  const stable = (ctx.release.data['stable'] as string | null | undefined) ?? ctx.release.previousVersion;
  const out: Measurement[] = [];
  let after: VersionCounters[] | null = null;
  try {
    after = await target.counters();
    out.push(...trafficSignals(p, st.version, st.before, after));
  } catch (err) {
    out.push({ metric: 'error-rate', provider: 'builtin', verdict: 'inconclusive', value: null, baseline: null, threshold: null, sampleSize: null, reason: `router counters unavailable: ${(err as Error).message}`, details: {} });
  }
  if (p.outbox) out.push(...(await outboxSignals(p, await target.instances().catch(() => []), st.version)));
  out.push(...(await restartSignal(p, target, st.version, st.instances)));
  out.push(...diskSignal(p, ctx.services.paths.home)); // the data folder's disk
  out.push(...(await querySignals(p, p.prometheusUrl ?? process.env['PROMETHEUS_URL'], { version: st.version, stable })));
  return { measurements: out, after };
}

export async function reconcileHypercare(ctx: DeployContext, step: AutomatedStep): Promise<StepResult> {
  const parsed = hypercareParams.safeParse(step.params);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail(`step ${step.id}: params.${i.path.join('.')}: ${i.message}`);
  }
  const p = parsed.data;
  const version = ctx.release.version;
  if (!version) return fail('hypercare: the release has no version (nothing was deployed)');
  let st = ctx.release.data['hypercare'] as HypercareState | undefined;
  if (!st || st.step !== step.id || st.version !== version) {
    const now = new Date();
    const live = (await ctx.services.target.instances()).filter((i) => i.version === version && i.state !== 'stopping');
    st = { step: step.id, version, startedAt: now.toISOString(), endsAt: new Date(now.getTime() + p.duration).toISOString(), lastCheckAt: null, checks: 0, instances: live.length, before: await ctx.services.target.counters() };
    await ctx.update({ data: { hypercare: st } });
    await ctx.audit('hypercare.started', 'ok', { version, durationMs: p.duration, intervalMs: p.interval, instances: live.length });
    return wait(`hypercare: watching ${version} for ${formatDuration(p.duration)}, a check every ${formatDuration(p.interval)}`, Math.min(p.interval, 1000));
  }
  const end = ctx.release.data[END_KEY] as HypercareEndRequest | undefined;
  if (end) {
    const reason = `hypercare ended early by ${end.by} after ${st.checks} check(s): ${end.reason}`;
    await ctx.audit('hypercare.ended', 'early', { by: end.by, reason: end.reason, checks: st.checks });
    return done(reason, { hypercare: { checks: st.checks, endedBy: end.by } });
  }
  const now = Date.now();
  const due = st.lastCheckAt ? Date.parse(st.lastCheckAt) + p.interval : Date.parse(st.startedAt) + p.interval;
  if (now < due) return wait(`hypercare: ${st.checks} check(s), all clear; ${formatDuration(Math.max(0, Date.parse(st.endsAt) - now))} left`, Math.min(due - now, 1000));

  const { measurements, after } = await runChecks(ctx, p, st);
  for (const m of measurements) await recordMeasurement(ctx.store, ctx.release.id, step.id, 'hypercare', m);
  st = { ...st, checks: st.checks + 1, lastCheckAt: new Date().toISOString(), ...(after ? { before: after } : {}) };
  await ctx.update({ data: { hypercare: st } });
  const breaches = measurements.filter((m) => m.verdict === 'fail');
  if (breaches.length) {
    const why = breaches.map((b) => b.reason).join('; ');
    for (const b of breaches) {
      await ctx.audit('hypercare.breach', b.reason, { signal: b.metric, value: b.value, threshold: b.threshold, version, check: st.checks });
      ctx.progress({ type: 'log', level: 'error', message: `hypercare breach: ${b.reason}` });
    }
    const policy = ctx.env.rollback.automatic ? 'rolling back automatically' : 'automatic rollback is off: run ccr rollback or ccr abort';
    await notifierOf(ctx).notify('issue', {
      releaseId: ctx.release.id, env: ctx.envName, version, previousVersion: ctx.release.previousVersion,
      reason: `hypercare breach on check ${st.checks}: ${why} (${policy})`,
      metrics: breaches.map((b) => ({ name: b.metric, value: b.value, threshold: b.threshold })),
    });
    return fail(`hypercare breach: ${why}`, { hypercare: { checks: st.checks, breaches: breaches.map((b) => b.metric) } });
  }
  for (const m of measurements) if (m.verdict === 'inconclusive') ctx.progress({ type: 'log', level: 'warn', message: `hypercare: could not check: ${m.reason}` });
  if (Date.now() >= Date.parse(st.endsAt)) {
    await ctx.audit('hypercare.completed', 'ok', { version, checks: st.checks });
    return done(`hypercare: ${st.checks} check(s) over ${formatDuration(Date.parse(st.endsAt) - Date.parse(st.startedAt))}, no breach`, { hypercare: { checks: st.checks } });
  }
  const clear = measurements.filter((m) => m.verdict === 'pass').map((m) => m.metric);
  return wait(`hypercare: check ${st.checks} clear (${clear.join(', ') || 'nothing measurable'}); ${formatDuration(Math.max(0, Date.parse(st.endsAt) - Date.now()))} left`, Math.min(p.interval, 1000));
}
