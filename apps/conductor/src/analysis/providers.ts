import { BuiltinProvider } from './builtin-provider.js';
import type { MetricProvider } from './metric-provider.js';
import { PrometheusProvider } from './prometheus-provider.js';

/** The metric providers by their rollout.yaml name. */
export function defaultProviders(): Record<string, MetricProvider> {
  return { builtin: new BuiltinProvider(), prometheus: new PrometheusProvider() };
}
