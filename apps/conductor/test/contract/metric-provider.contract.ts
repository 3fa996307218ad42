import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AnalysisWindow, MetricProvider, MetricSpec } from '../../src/analysis/metric-provider.js';

// The contract every MetricProvider passes (DESIGN §5): a harness gives, for its provider, a
// metric and window that must pass, one that must fail, and one without data. The provider
// answers for its own `provider:` name, explains every verdict with its numbers, stores a
// value for pass and fail, and says "inconclusive" (never pass) without data, never throwing.

export interface ProviderCase {
  metric: MetricSpec;
  window: AnalysisWindow;
}

export interface ProviderHarness {
  provider: MetricProvider;
  passing(): Promise<ProviderCase> | ProviderCase;
  failing(): Promise<ProviderCase> | ProviderCase;
  noData(): Promise<ProviderCase> | ProviderCase;
}

export function metricProviderContract(name: string, harness: () => ProviderHarness): void {
  describe(`MetricProvider contract: ${name}`, () => {
    test('answers for its own provider name', async () => {
      const h = harness();
      const c = await h.passing();
      assert.equal(c.metric.provider, h.provider.name);
      const m = await h.provider.measure(c.metric, c.window);
      assert.equal(m.provider, h.provider.name);
      assert.equal(m.metric, c.metric.name);
    });

    test('a healthy window passes with its value and a reason naming it', async () => {
      const h = harness();
      const c = await h.passing();
      const m = await h.provider.measure(c.metric, c.window);
      assert.equal(m.verdict, 'pass', m.reason);
      assert.equal(typeof m.value, 'number');
      assert.ok(Number.isFinite(m.value!));
      assert.match(m.reason, /\d/, 'the reason carries the numbers');
    });

    test('a bad window fails with its value and a reason naming it', async () => {
      const h = harness();
      const c = await h.failing();
      const m = await h.provider.measure(c.metric, c.window);
      assert.equal(m.verdict, 'fail', m.reason);
      assert.equal(typeof m.value, 'number');
      assert.match(m.reason, /\d/);
    });

    test('no data is inconclusive with no value, never a pass, and does not throw', async () => {
      const h = harness();
      const c = await h.noData();
      const m = await h.provider.measure(c.metric, c.window);
      assert.equal(m.verdict, 'inconclusive', m.reason);
      assert.equal(m.value, null);
      assert.ok(m.reason.length > 0);
    });

    test("another provider's metric is refused loudly, not measured", async () => {
      const h = harness();
      const c = await h.passing();
      const other = { ...c.metric, provider: c.metric.provider === 'builtin' ? 'prometheus' : 'builtin' } as MetricSpec;
      await assert.rejects(() => h.provider.measure(other, c.window));
    });
  });
}
