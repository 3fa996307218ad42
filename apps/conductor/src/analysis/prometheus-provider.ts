import { checkCondition, evalCondition } from './condition.js';
import type { AnalysisWindow, Measurement, MetricProvider, MetricSpec } from './metric-provider.js';

// PromQL metrics (DESIGN §3): the query may use {{canary}}, {{stable}} and {{window}} (e.g.
// "30s"), and must return one scalar or a one-element vector. Success/failure conditions
// follow Argo's model; with neither met the measurement is inconclusive.

export class PrometheusProvider implements MetricProvider {
  readonly name = 'prometheus';
  constructor(private readonly baseUrl: string | undefined = process.env['PROMETHEUS_URL']) {}

  async measure(metric: MetricSpec, w: AnalysisWindow): Promise<Measurement> {
    if (metric.provider !== 'prometheus') throw new Error(`prometheus provider asked to measure a ${metric.provider} metric`);
    const base = { metric: metric.name, provider: this.name, baseline: null, threshold: null, sampleSize: null };
    const windowS = Math.max(1, Math.round((w.endedAt.getTime() - w.startedAt.getTime()) / 1000));
    const query = metric.query.replaceAll('{{canary}}', w.canary).replaceAll('{{stable}}', w.stable ?? '').replaceAll('{{window}}', `${windowS}s`);
    const details = { query };
    if (!this.baseUrl) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: PROMETHEUS_URL is not set, so the PromQL metric could not be measured` };
    for (const c of [metric.successCondition, metric.failureCondition]) {
      const bad = c ? checkCondition(c) : null;
      if (bad) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: ${bad}` };
    }
    let value: number;
    try {
      const u = new URL('/api/v1/query', this.baseUrl);
      u.searchParams.set('query', query);
      const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
      if (body.status !== 'success' || !body.data) throw new Error(body.error ?? `HTTP ${res.status}`);
      const r = body.data.result as Array<{ value: [number, string] }> | [number, string];
      const raw = body.data.resultType === 'scalar' ? (r as [number, string])[1] : (r as Array<{ value: [number, string] }>)[0]?.value[1];
      if (raw === undefined) throw new Error('the query returned no series');
      value = Number(raw);
    } catch (err) {
      return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: query failed: ${(err as Error).message}` };
    }
    if (Number.isNaN(value)) return { ...base, verdict: 'inconclusive', value: null, details, reason: `${metric.name}: the query returned NaN (no data in the window?)` };
    if (metric.failureCondition && evalCondition(metric.failureCondition, value)) {
      return { ...base, verdict: 'fail', value, details, reason: `${metric.name} = ${value}: meets the failure condition "${metric.failureCondition}"` };
    }
    if (!metric.successCondition || evalCondition(metric.successCondition, value)) {
      return { ...base, verdict: 'pass', value, details, reason: `${metric.name} = ${value}${metric.successCondition ? `: meets "${metric.successCondition}"` : ''}` };
    }
    return { ...base, verdict: 'fail', value, details, reason: `${metric.name} = ${value}: does not meet the success condition "${metric.successCondition}"` };
  }
}
