import type { AnalysisConfig } from '../config/index.js';
import type { VersionCounters } from '../engine/deploy-target.js';
import type { DeployContext } from '../engine/deploy-context.js';
import type { Measurement, MetricProvider } from './metric-provider.js';
import { defaultProviders } from './providers.js';
import { recordMeasurement } from './record.js';
import { windowStats } from './window-stats.js';

// One canary analysis as a resumable state machine (its state lives in release.data, so a
// killed conductor resumes it): `count` windows of `interval`, each judged by every metric,
// failing once more than `failureLimit` windows failed. A window with too few canary requests
// is never passed blindly: per lowTraffic.action it gets pinned smoke traffic and is judged
// again, fails, or waits for more real traffic.

export interface AnalysisState {
  name: string;
  /** Windows judged so far, and how many failed. */
  windows: number;
  failures: number;
  /** Windows that stayed inconclusive (they do not count towards `count`). */
  inconclusive: number;
  windowStartedAt: string;
  before: VersionCounters[];
  smokeSent: boolean;
}

export type AnalysisOutcome =
  | { status: 'wait'; state: AnalysisState; retryAfterMs: number; reason: string }
  | { status: 'pass'; reason: string; measurements: Measurement[] }
  | { status: 'fail'; reason: string; measurements: Measurement[] };

const providers: Record<string, MetricProvider> = defaultProviders();

export async function startAnalysis(ctx: DeployContext, name: string): Promise<AnalysisState> {
  return { name, windows: 0, failures: 0, inconclusive: 0, windowStartedAt: new Date().toISOString(), before: await ctx.services.target.counters(), smokeSent: false };
}

export async function continueAnalysis(ctx: DeployContext, stepId: string, cfg: AnalysisConfig, st: AnalysisState, canary: string, stable: string | null): Promise<AnalysisOutcome> {
  const started = new Date(st.windowStartedAt);
  const due = started.getTime() + cfg.interval;
  if (Date.now() < due) return { status: 'wait', state: st, retryAfterMs: Math.min(1000, due - Date.now()), reason: `analysis ${st.name}: window ${st.windows + 1}/${cfg.count} open` };
  let after = await ctx.services.target.counters();
  const canaryReqs = () => windowStats(st.before, after, canary).requests;
  if (canaryReqs() < 0) {
    // The data plane restarted and its counters with it: open a fresh window.
    return { status: 'wait', state: { ...st, windowStartedAt: new Date().toISOString(), before: after }, retryAfterMs: 500, reason: `analysis ${st.name}: counters reset, window restarted` };
  }
  if (canaryReqs() < cfg.minRequests && !st.smokeSent) {
    if (cfg.lowTraffic.action === 'smoke-traffic' && ctx.services.smokeTraffic) {
      const need = Math.max(cfg.lowTraffic.requests, cfg.minRequests - canaryReqs());
      ctx.progress({ type: 'log', level: 'info', message: `analysis ${st.name}: only ${canaryReqs()} canary requests, sending ${need} pinned smoke requests to ${canary}${stable ? ` and, as the baseline, to ${stable}` : ''}` });
      // The same requests to stable at the same time: the comparison stays like for like.
      const [sent, baseline] = await Promise.all([ctx.services.smokeTraffic(canary, need), stable ? ctx.services.smokeTraffic(stable, need) : null]);
      await ctx.audit('analysis.smoke-traffic', 'ok', { analysis: st.name, version: canary, ...sent, ...(baseline ? { stable, stableSent: baseline.sent, stableFailed: baseline.failed } : {}) });
      after = await ctx.services.target.counters();
      st = { ...st, smokeSent: true };
    } else if (cfg.lowTraffic.action === 'wait') {
      return { status: 'wait', state: st, retryAfterMs: 1000, reason: `analysis ${st.name}: ${canaryReqs()} canary requests so far, waiting for ${cfg.minRequests}` };
    }
  }
  const window = { canary, stable, startedAt: started, endedAt: new Date(), before: st.before, after, minRequests: cfg.minRequests };
  const measurements: Measurement[] = [];
  for (const metric of cfg.metrics) {
    const provider = providers[metric.provider];
    const m: Measurement = provider
      ? await provider.measure(metric, window)
      : { metric: metric.name, provider: metric.provider, verdict: 'inconclusive', value: null, baseline: null, threshold: null, sampleSize: null, reason: `no provider ${metric.provider}`, details: {} };
    measurements.push(m);
    await recordMeasurement(ctx.store, ctx.release.id, stepId, st.name, m);
    ctx.progress({ type: 'verdict', analysis: st.name, metric: m.metric, verdict: m.verdict, value: m.value, baseline: m.baseline, threshold: m.threshold, sampleSize: m.sampleSize, reason: m.reason });
  }
  const failed = measurements.filter((m) => m.verdict === 'fail');
  const inconclusive = measurements.some((m) => m.verdict === 'inconclusive');
  const next: AnalysisState = { ...st, windowStartedAt: new Date().toISOString(), before: after, smokeSent: false };
  if (failed.length) {
    next.windows++;
    next.failures++;
    if (next.failures > cfg.failureLimit) {
      return { status: 'fail', reason: `analysis ${st.name} failed: ${failed.map((m) => m.reason).join('; ')}`, measurements };
    }
  } else if (inconclusive) {
    next.inconclusive++;
    if (cfg.lowTraffic.action === 'fail' || next.inconclusive > cfg.count * 2) {
      return { status: 'fail', reason: `analysis ${st.name} could not reach a verdict (${next.inconclusive} inconclusive windows): ${measurements.filter((m) => m.verdict === 'inconclusive').map((m) => m.reason).join('; ')}`, measurements };
    }
  } else {
    next.windows++;
  }
  if (next.windows >= cfg.count) {
    return { status: 'pass', reason: `analysis ${st.name} passed ${next.windows - next.failures}/${next.windows} windows: ${measurements.map((m) => m.reason).join('; ')}`, measurements };
  }
  return { status: 'wait', state: next, retryAfterMs: Math.min(1000, cfg.interval), reason: `analysis ${st.name}: ${next.windows}/${cfg.count} windows judged, ${next.failures} failed` };
}
