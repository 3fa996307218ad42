import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BuiltinProvider } from '../src/analysis/builtin-provider.js';
import { checkCondition, evalCondition } from '../src/analysis/condition.js';
import type { AnalysisWindow, MetricSpec } from '../src/analysis/metric-provider.js';
import { PrometheusProvider } from '../src/analysis/prometheus-provider.js';
import { hypercareParams } from '../src/hypercare/params.js';
import { querySignals } from '../src/hypercare/signals.js';
import { metricProviderContract } from './contract/metric-provider.contract.js';
import { CounterServer, startPrometheus, type TestPrometheus } from './support/prometheus.js';

// The Prometheus metric provider against a real Prometheus scraping a real instance whose
// counters the test drives: v1 (stable) answers 1% 500s, v2 (good canary) 1%, v3 (bad canary)
// 30%. Queries run over the last few seconds of scrapes.

const ERROR_RATE = 'sum(rate(app_requests_total{version="{{canary}}",code="500"}[{{window}}])) / sum(rate(app_requests_total{version="{{canary}}"}[{{window}}]))';

let prom: TestPrometheus;
const app = new CounterServer();

function window(canary: string, seconds = 5): AnalysisWindow {
  const endedAt = new Date();
  return { canary, stable: 'v1', startedAt: new Date(endedAt.getTime() - seconds * 1000), endedAt, before: [], after: [], minRequests: 0 };
}
const errorRate = (extra: Partial<Extract<MetricSpec, { provider: 'prometheus' }>> = {}): MetricSpec => ({
  name: 'error-rate', provider: 'prometheus', query: ERROR_RATE, successCondition: 'result <= 0.05', failureCondition: 'result > 0.05', ...extra,
});

before(async () => {
  await app.listen();
  app.traffic({ v1: { perTick: 100, errorShare: 0.01 }, v2: { perTick: 100, errorShare: 0.01 }, v3: { perTick: 100, errorShare: 0.3 } });
  prom = await startPrometheus([{ job: 'app', targets: [app.address] }]);
  // rate() over the window needs several scrapes of moving counters
  await prom.waitFor('rate(app_requests_total{version="v3",code="500"}[5s]) > 0');
  await new Promise((r) => setTimeout(r, 2500));
});
after(async () => {
  await prom?.close();
  await app.close();
});

metricProviderContract('prometheus (real Prometheus)', () => {
  const provider = new PrometheusProvider(prom.url);
  return {
    provider,
    passing: () => ({ metric: errorRate(), window: window('v2') }),
    failing: () => ({ metric: errorRate(), window: window('v3') }),
    noData: () => ({ metric: errorRate(), window: window('v-unknown') }),
  };
});

// The same contract for the built-in provider, from router-style counter snapshots.
metricProviderContract('builtin (counter snapshots)', () => {
  const counters = (version: string, total: number, errors: number) => [{ service: 'api' as const, version, total, errors5xx: errors, buckets: [{ le: 0.01, count: total }, { le: Infinity, count: total }] }];
  const w = (canary: string, total: number, errors: number): AnalysisWindow => ({
    canary, stable: null, startedAt: new Date(Date.now() - 5000), endedAt: new Date(), minRequests: 20,
    before: [...counters(canary, 0, 0)], after: [...counters(canary, total, errors)],
  });
  const metric: MetricSpec = { name: 'error-rate', provider: 'builtin', check: 'error-rate', maxDelta: 0.05, minAbsoluteMs: 25 };
  return { provider: new BuiltinProvider(), passing: () => ({ metric, window: w('v2', 200, 2) }), failing: () => ({ metric, window: w('v3', 200, 60) }), noData: () => ({ metric, window: w('v4', 0, 0) }) };
});

describe('prometheus provider', () => {
  test('the measured value is the real error rate Prometheus computed from the scrapes', async () => {
    const m = await new PrometheusProvider(prom.url).measure(errorRate(), window('v3'));
    assert.equal(m.verdict, 'fail');
    assert.ok(m.value! > 0.2 && m.value! < 0.4, `v3 error rate ${m.value}`);
    assert.match(String(m.details['query']), /version="v3"/);
    assert.match(String(m.details['query']), /\[5s\]/);
    const good = await new PrometheusProvider(prom.url).measure(errorRate(), window('v2'));
    assert.ok(good.value! < 0.05, `v2 error rate ${good.value}`);
  });

  test('vector results: result[i] addresses each series', async () => {
    const metric = errorRate({
      query: 'sort(sum by (version) (rate(app_requests_total{code="500"}[5s])) / sum by (version) (rate(app_requests_total[5s])))',
      successCondition: 'result[0] < 0.05 && result[2] < 0.05', failureCondition: 'result[2] >= 0.05',
    });
    const m = await new PrometheusProvider(prom.url).measure(metric, window('v2'));
    assert.equal(m.verdict, 'fail', m.reason);
    assert.equal((m.details['values'] as number[]).length, 3);
    assert.deepEqual((m.details['series'] as Array<{ version: string }>).map((s) => s.version).at(-1), 'v3');
  });

  test('bad PromQL, an unreachable Prometheus and a bad condition are inconclusive with the reason', async () => {
    const bad = await new PrometheusProvider(prom.url).measure(errorRate({ query: 'sum(rate(app_requests_total[5s]' }), window('v2'));
    assert.equal(bad.verdict, 'inconclusive');
    assert.match(bad.reason, /bad_data|parse error/);
    const down = await new PrometheusProvider('http://127.0.0.1:1', 2000).measure(errorRate(), window('v2'));
    assert.equal(down.verdict, 'inconclusive');
    assert.match(down.reason, /did not answer/);
    const cond = await new PrometheusProvider(prom.url).measure(errorRate({ failureCondition: 'result >> 1' }), window('v2'));
    assert.equal(cond.verdict, 'inconclusive');
    assert.match(cond.reason, /condition/);
  });

  test('without a URL it reads PROMETHEUS_URL when measuring', async () => {
    const saved = process.env['PROMETHEUS_URL'];
    try {
      delete process.env['PROMETHEUS_URL'];
      assert.equal((await new PrometheusProvider().measure(errorRate(), window('v2'))).verdict, 'inconclusive');
      process.env['PROMETHEUS_URL'] = prom.url;
      assert.equal((await new PrometheusProvider().measure(errorRate(), window('v2'))).verdict, 'pass');
    } finally {
      if (saved === undefined) delete process.env['PROMETHEUS_URL'];
      else process.env['PROMETHEUS_URL'] = saved;
    }
  });
});

describe('hypercare PromQL signals', () => {
  test('a query meeting its failure condition is a breach; the watched version is substituted', async () => {
    const p = hypercareParams.parse({ queries: [
      { name: 'watched-errors', query: 'sum(rate(app_requests_total{version="{{version}}",code="500"}[5s])) / sum(rate(app_requests_total{version="{{version}}"}[5s]))', failureCondition: 'result > 0.1' },
      { name: 'stable-errors', query: 'sum(rate(app_requests_total{version="{{stable}}",code="500"}[5s])) / sum(rate(app_requests_total{version="{{stable}}"}[5s]))', failureCondition: 'result > 0.1' },
    ] });
    const bad = await querySignals(p, prom.url, { version: 'v3', stable: 'v1' });
    assert.deepEqual(bad.map((m) => [m.metric, m.verdict]), [['watched-errors', 'fail'], ['stable-errors', 'pass']]);
    assert.ok(bad[0]!.value! > 0.2);
    const good = await querySignals(p, prom.url, { version: 'v2', stable: 'v1' });
    assert.deepEqual(good.map((m) => m.verdict), ['pass', 'pass']);
  });
});

describe('conditions', () => {
  test('comparisons, && || ! and parentheses, result[i]', () => {
    assert.equal(evalCondition('result < 0.05', 0.01), true);
    assert.equal(evalCondition('result < 0.05', 0.05), false);
    assert.equal(evalCondition('result[0] >= 0.99 && result[0] < 2', [1.5]), true);
    assert.equal(evalCondition('result[0] >= 0.99 && result[0] < 2', [2]), false);
    assert.equal(evalCondition('result[1] > 3 || result[0] == 0', [0, 1]), true);
    assert.equal(evalCondition('!(result > 1) && result != -2', [-1]), true);
    assert.equal(evalCondition('(result > 1 || result < -1) && result[1] <= 1e3', [5, 999]), true);
    assert.equal(evalCondition('result[3] < 1', [0]), false, 'a missing element never satisfies a comparison');
    assert.equal(evalCondition('result < 1', [Number.NaN]), false);
  });

  test('anything else is refused, never evaluated', () => {
    for (const bad of ['result', 'result <', 'process.exit(1)', 'result < 1; 2', 'result[x] < 1', 'result < 1 &&', '(result < 1', 'result <<< 1']) {
      assert.notEqual(checkCondition(bad), null, bad);
      assert.throws(() => evalCondition(bad, 1), /condition/, bad);
    }
    assert.equal(checkCondition('result >= 0.99 && result <= 1'), null);
  });
});
