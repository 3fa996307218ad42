import { checkCondition, evalCondition } from './condition.js';
import type { AnalysisWindow, Measurement, MetricProvider, MetricSpec } from './metric-provider.js';
import { instantQuery } from './prometheus-query.js';

// PromQL metrics (DESIGN §3 Analysis): the query may use {{canary}}, {{stable}} and {{window}}
// (the window's length, e.g. "30s", for range selectors). It returns a scalar or a vector;
// `result` in the conditions is its first value and result[i] the i-th. Argo's model: the
// failure condition is checked first; with no success condition any value that does not fail
// passes. No data (empty vector, NaN) is inconclusive, never a pass. The analysis step around
// it does the interval, count and failure limit, and stores every measurement.

type PromMetric = Extract<MetricSpec, { provider: 'prometheus' }>;

export function renderQuery(query: string, w: Pick<AnalysisWindow, 'canary' | 'stable' | 'startedAt' | 'endedAt'>): string {
  const windowS = Math.max(1, Math.round((w.endedAt.getTime() - w.startedAt.getTime()) / 1000));
  return query.replaceAll('{{canary}}', w.canary).replaceAll('{{stable}}', w.stable ?? '').replaceAll('{{window}}', `${windowS}s`);
}

export class PrometheusProvider implements MetricProvider {
  readonly name = 'prometheus';
  /** baseUrl: Prometheus's address; without one, PROMETHEUS_URL at measuring time. */
  constructor(private readonly baseUrl?: string, private readonly timeoutMs = 10_000) {}

  async measure(metric: MetricSpec, w: AnalysisWindow): Promise<Measurement> {
    if (metric.provider !== 'prometheus') throw new Error(`prometheus provider asked to measure a ${metric.provider} metric`);
    return measurePromQL(metric, renderQuery(metric.query, w), this.baseUrl ?? process.env['PROMETHEUS_URL'], this.timeoutMs, w.endedAt);
  }
}

/** Runs one PromQL metric and judges it; never throws (bad data is inconclusive, with the reason). */
export async function measurePromQL(metric: Pick<PromMetric, 'name' | 'successCondition' | 'failureCondition'>, query: string, baseUrl: string | undefined, timeoutMs = 10_000, time?: Date): Promise<Measurement> {
  const base = { metric: metric.name, provider: 'prometheus', baseline: null, threshold: null, sampleSize: null };
  const conditions = { successCondition: metric.successCondition ?? null, failureCondition: metric.failureCondition ?? null };
  const details: Record<string, unknown> = { query, ...conditions };
  if (!baseUrl) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: no Prometheus URL (PROMETHEUS_URL), so the PromQL metric could not be measured` };
  for (const c of [metric.successCondition, metric.failureCondition]) {
    const bad = c ? checkCondition(c) : null;
    if (bad) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: ${bad}` };
  }
  let values: number[];
  try {
    const r = await instantQuery(baseUrl, query, { timeoutMs, ...(time ? { time } : {}) });
    values = r.values;
    details['values'] = values.map((v) => (Number.isFinite(v) ? v : String(v)));
    details['series'] = r.series;
  } catch (err) {
    return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: query failed: ${(err as Error).message}` };
  }
  const value = values[0];
  if (value === undefined) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: the query returned no series (no data in the window?)` };
  if (Number.isNaN(value)) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: the query returned NaN (no requests in the window?)` };
  const shown = values.length > 1 ? `[${values.join(', ')}]` : String(value);
  if (metric.failureCondition && evalCondition(metric.failureCondition, values)) {
    return { ...base, verdict: 'fail', value, details, reason: `${metric.name} = ${shown}: meets the failure condition "${metric.failureCondition}"` };
  }
  if (!metric.successCondition || evalCondition(metric.successCondition, values)) {
    return { ...base, verdict: 'pass', value, details, reason: `${metric.name} = ${shown}${metric.successCondition ? `: meets "${metric.successCondition}"` : ': no failure condition met'}` };
  }
  return { ...base, verdict: 'fail', value, details, reason: `${metric.name} = ${shown}: does not meet the success condition "${metric.successCondition}"` };
}
