import type { Measurement, MetricProvider, MetricSpec, AnalysisWindow } from './metric-provider.js';
import { quantileMs, windowStats } from './window-stats.js';

// The built-in provider: the router's per-version counters, canary against stable over the
// same window. error-rate passes when the canary's 5xx rate exceeds stable's by at most
// maxDelta; latency when the canary's quantile is under minAbsoluteMs or at most maxRatio
// times stable's.

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export class BuiltinProvider implements MetricProvider {
  readonly name = 'builtin';

  async measure(metric: MetricSpec, w: AnalysisWindow): Promise<Measurement> {
    if (metric.provider !== 'builtin') throw new Error(`builtin provider asked to measure a ${metric.provider} metric`);
    const canary = windowStats(w.before, w.after, w.canary);
    const stable = w.stable ? windowStats(w.before, w.after, w.stable) : null;
    const base = { metric: metric.name, provider: this.name, sampleSize: canary.requests };
    const details = {
      windowMs: w.endedAt.getTime() - w.startedAt.getTime(),
      canary: { version: w.canary, requests: canary.requests, errors5xx: canary.errors5xx },
      stable: stable ? { version: w.stable, requests: stable.requests, errors5xx: stable.errors5xx } : null,
    };
    if (canary.requests < w.minRequests) {
      return { ...base, verdict: 'inconclusive', value: null, baseline: null, threshold: null, details, reason: `${metric.name}: only ${canary.requests} canary request(s) in the window, fewer than the ${w.minRequests} a verdict needs` };
    }
    if (metric.check === 'error-rate') {
      const value = canary.errors5xx / canary.requests;
      const baseline = stable && stable.requests > 0 ? stable.errors5xx / stable.requests : 0;
      const maxDelta = metric.maxDelta ?? 0.01;
      const threshold = baseline + maxDelta;
      const ok = value <= threshold + 1e-12;
      return {
        ...base, verdict: ok ? 'pass' : 'fail', value, baseline, threshold, details,
        reason: `error rate ${pct(value)} (${canary.errors5xx}/${canary.requests}) vs stable ${pct(baseline)}${stable ? ` (${stable.errors5xx}/${stable.requests})` : ''}: ${ok ? 'within' : 'over'} the limit of +${pct(maxDelta)}`,
      };
    }
    const q = metric.quantile ?? 0.95;
    const label = `p${Math.round(q * 100)}`;
    const value = quantileMs(canary.buckets, q);
    const baseline = stable ? quantileMs(stable.buckets, q) : null;
    const maxRatio = metric.maxRatio ?? 1.5;
    const threshold = baseline !== null ? Math.max(metric.minAbsoluteMs, baseline * maxRatio) : metric.minAbsoluteMs;
    if (value === null) return { ...base, verdict: 'inconclusive', value, baseline, threshold, details, reason: `${label} latency: no histogram data for ${w.canary}` };
    const ok = value <= metric.minAbsoluteMs || (baseline !== null && value <= baseline * maxRatio);
    const verdict = ok ? 'pass' : baseline === null ? 'inconclusive' : 'fail';
    return {
      ...base, verdict, value, baseline, threshold, details: { ...details, quantile: q, maxRatio, minAbsoluteMs: metric.minAbsoluteMs },
      reason: `${label} latency ${value.toFixed(1)} ms vs stable ${baseline === null ? 'n/a' : `${baseline.toFixed(1)} ms`}: ${ok ? 'within' : 'over'} the limit of ${maxRatio}x (or under ${metric.minAbsoluteMs} ms)`,
    };
  }
}
