// Keeps TargetRuntimes across state changes. A target that stays (same service, id, URL
// and version) keeps its pool and health; a new one starts fresh; a removed one drains:
// in-flight requests may finish until the drain timeout, then its pool is destroyed.
import type { RouterServiceName, RouterState, RouterTargetStatus } from '@cc/contracts';
import type { HealthChecker } from './health-checker.js';
import type { VersionStats } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { RouteTable } from './route-table.js';
import { TargetRuntime, targetKey } from './target-runtime.js';

export class TargetPool {
  private current = new Map<string, TargetRuntime>();
  private readonly drainingTargets = new Set<TargetRuntime>();

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly health: HealthChecker,
    private readonly statsFor: (service: RouterServiceName, version: string) => VersionStats,
  ) {}

  /** Builds the table for `state`, reusing runtimes, and starts draining the ones left out. */
  apply(state: RouterState): RouteTable {
    const next = new Map<string, TargetRuntime>();
    const byIndex: Record<RouterServiceName, TargetRuntime[]> = { api: [], web: [] };
    for (const service of ['api', 'web'] as const) {
      for (const t of state.services[service].targets) {
        const key = targetKey(service, t);
        let rt = next.get(key) ?? this.current.get(key);
        if (!rt) {
          rt = new TargetRuntime(service, t, this.statsFor(service, t.version), {
            maxSockets: this.opts.maxSocketsPerTarget,
            idleMs: this.opts.upstreamIdleMs,
            timeoutMs: this.opts.upstreamTimeoutMs,
            connectTimeoutMs: this.opts.connectTimeoutMs,
          }, this.opts.upstreamClient);
          this.health.watch(rt);
        }
        rt.draining = t.weight === 0;
        rt.weight = t.weight;
        next.set(key, rt);
        byIndex[service].push(rt);
      }
    }
    for (const [key, rt] of this.current) {
      if (!next.has(key)) this.startDrain(rt);
    }
    this.current = next;
    return new RouteTable(state, (service, i) => byIndex[service][i]!);
  }

  /** Targets still finishing requests after being removed. */
  draining(): TargetRuntime[] {
    return [...this.drainingTargets];
  }

  async close(): Promise<void> {
    this.health.stopAll();
    for (const rt of this.current.values()) rt.destroy();
    for (const rt of this.drainingTargets) rt.destroy();
    this.current.clear();
    this.drainingTargets.clear();
  }

  /** Live view of every known target, for the admin API. */
  describe(): RouterTargetStatus[] {
    const now = Date.now();
    return [...this.current.values(), ...this.drainingTargets].map((rt) => ({
      service: rt.service,
      id: rt.id,
      version: rt.version,
      url: rt.url,
      weight: rt.weight,
      healthy: rt.healthy,
      ejected: now < rt.ejectedUntil,
      inflight: rt.inflight,
      draining: rt.draining,
      removed: rt.removed,
    }));
  }

  private startDrain(rt: TargetRuntime): void {
    rt.draining = true;
    rt.weight = 0;
    rt.removed = true;
    this.health.unwatch(rt);
    this.drainingTargets.add(rt);
    const timer = setTimeout(() => {
      if (rt.inflight > 0) {
        this.opts.logger.warn({ target: rt.id, version: rt.version, inflight: rt.inflight }, 'drain timeout, cutting requests');
      }
      finish();
    }, this.opts.drainTimeoutMs);
    timer.unref();
    const finish = () => {
      clearTimeout(timer);
      if (!this.drainingTargets.delete(rt)) return;
      rt.destroy();
      this.opts.logger.info({ target: rt.id, version: rt.version }, 'target drained');
    };
    void rt.idle().then(finish);
  }
}
