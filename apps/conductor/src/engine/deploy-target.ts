import type { RouterServiceName } from '@cc/contracts';

// The narrow plugin interface every deploy target implements (DESIGN §5, Argo's habit). The
// strategies only ever talk to this, so a later HAProxy or Kubernetes target reuses them and
// must pass the same contract suite (test/contract/deploy-target.contract.ts).

export type ServiceName = RouterServiceName;
export const SERVICES: readonly ServiceName[] = ['api', 'web'];

export interface TargetInstance {
  id: string;
  version: string;
  url: string;
  /** Where its GET /metrics answers (an internal port, never routed); absent when unknown. */
  metricsUrl?: string;
  /** starting: not yet ready; ready: answering readiness; crashed: being restarted; stopping. */
  state: 'starting' | 'ready' | 'crashed' | 'stopping';
}

/** Per service: share of weighted traffic per version in percent (sums to 100, or {} when empty). */
export type TrafficSplit = Record<ServiceName, Record<string, number>>;

export interface TrafficView {
  split: TrafficSplit;
  /** Versions that have targets in a service (weight 0 included: warm, pinned and asset fallback). */
  attached: Record<ServiceName, string[]>;
  maintenance: { enabled: boolean; message: string | null };
}

/** Desired weights: per service, version -> relative share (percent by convention). */
export type TrafficPlan = Partial<Record<ServiceName, Record<string, number>>>;

/** Cumulative request counters of one version since the data plane started. */
export interface VersionCounters {
  service: ServiceName;
  version: string;
  total: number;
  errors5xx: number;
  /** Cumulative latency histogram: upper bound in seconds (Infinity last) -> count at or below. */
  buckets: Array<{ le: number; count: number }>;
}

export interface PinnedRoute {
  baseUrl: string;
  /** X-CC-Version + X-CC-Pin-Token: routes to one version and bypasses maintenance. Never log. */
  headers: Record<string, string>;
}

export interface DeployTarget {
  /** The rollout.yaml target type this implements (local, haproxy, kubernetes). */
  readonly type: string;
  /** Every instance the target runs, in start order, with its state. */
  instances(): Promise<TargetInstance[]>;
  /**
   * Starts `count` new instances of an artifact version and resolves once each is ready.
   * Never routes user traffic to them. Rejects (instance_not_ready) when one is not ready in
   * time, having stopped what this call started.
   */
  start(version: string, count: number, opts?: { readyTimeoutMs?: number }): Promise<TargetInstance[]>;
  /** Stops one instance; callers detach it from traffic first (see detach). */
  stop(instanceId: string): Promise<void>;
  /** The data plane's current weights per service, attached versions and maintenance. */
  traffic(): Promise<TrafficView>;
  /**
   * Applies a traffic plan atomically (one data-plane state change): each listed version gets
   * its share spread over its live instances; versions not listed but attached stay attached
   * at weight 0 (warm, servable by pin and asset fallback). Idempotent.
   */
  route(plan: TrafficPlan): Promise<TrafficView>;
  /** Removes instances (or every instance of a version) from every service; they must carry no weight. */
  detach(which: { version?: string; instanceIds?: string[] }): Promise<TrafficView>;
  /** Cumulative per-version counters of the data plane; analysis takes deltas between reads. */
  counters(): Promise<VersionCounters[]>;
  /** Turns the maintenance page on or off; pinned requests still pass. */
  setMaintenance(enabled: boolean, message?: string): Promise<void>;
  /** How to send a request to one version only (smoke tests, low-traffic analysis). */
  pinned(version: string): PinnedRoute;
  /** The public base URL users reach. */
  publicUrl(): string;
}
