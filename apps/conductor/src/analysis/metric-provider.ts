import type { AnalysisConfig } from '../config/index.js';
import type { VersionCounters } from '../engine/deploy-target.js';

// Metric providers sit behind one narrow interface (DESIGN §3 Analysis): the built-in one
// reads the router's per-version counters, the Prometheus one runs PromQL. Every measurement
// carries its numbers, so a verdict can always be explained.

export type MetricSpec = AnalysisConfig['metrics'][number];
export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** One analysis window: the versions compared and the data plane's counters at both ends. */
export interface AnalysisWindow {
  canary: string;
  stable: string | null;
  startedAt: Date;
  endedAt: Date;
  before: VersionCounters[];
  after: VersionCounters[];
  /** Below this many canary requests a builtin verdict is inconclusive. */
  minRequests: number;
}

export interface Measurement {
  metric: string;
  provider: string;
  verdict: Verdict;
  /** The canary's figure (rate 0..1, or milliseconds). */
  value: number | null;
  /** The stable version's figure over the same window. */
  baseline: number | null;
  /** The limit the value was held to (absolute for rates, ratio for latency). */
  threshold: number | null;
  /** Canary requests the figure is based on. */
  sampleSize: number | null;
  /** One human sentence with the numbers, e.g. "error rate 21.3% vs 0.0% (limit +2.0%)". */
  reason: string;
  details: Record<string, unknown>;
}

export interface MetricProvider {
  /** The `provider:` value in rollout.yaml this implementation answers for. */
  readonly name: string;
  /** Measures one metric over a finished window; never throws for bad data, returns inconclusive. */
  measure(metric: MetricSpec, window: AnalysisWindow): Promise<Measurement>;
}
