// One upstream instance as the data plane sees it: its connection pool and the live facts
// (health, ejection, in-flight count, draining) that survive state changes as long as the
// target keeps the same id and URL.
import type { RouterServiceName, RouterTarget } from '@cc/contracts';
import type { VersionStats } from './metrics.js';
import { UndiciUpstream } from './upstream/undici-upstream.js';
import type { PoolOptions, UpstreamClient } from './upstream/upstream.js';
import { UpstreamPool } from './upstream/upstream-pool.js';

export class TargetRuntime {
  readonly key: string;
  readonly id: string;
  readonly version: string;
  readonly service: RouterServiceName;
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  readonly pool: UpstreamClient;
  /** Cached here so recording a request costs no map lookup. */
  readonly stats: VersionStats;
  /** Set by the health checker; optimistic at start, as HAProxy does, so a new state routes at once. */
  healthy = true;
  /** Epoch ms until which the target gets no traffic after refusing a connection. */
  ejectedUntil = 0;
  inflight = 0;
  /** Weight in the current state (0 once removed). */
  weight = 0;
  /** Removed from the state or weight 0: responses from it close the client connection. */
  draining = false;
  /** Removed from the state: its pool is torn down once idle or when the drain timeout hits. */
  removed = false;
  private drainWaiters: Array<() => void> = [];

  constructor(service: RouterServiceName, t: RouterTarget, stats: VersionStats, poolOptions: PoolOptions, client: 'own' | 'undici' = 'own') {
    this.stats = stats;
    this.key = targetKey(service, t);
    this.id = t.id;
    this.version = t.version;
    this.service = service;
    this.url = t.url;
    const u = new URL(t.url);
    this.hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.port = u.port ? Number(u.port) : 80;
    // Keep-alive pool per target: reusing upstream sockets is most of a proxy's throughput.
    this.pool = client === 'undici' ? new UndiciUpstream(`http://${u.host}`, poolOptions) : new UpstreamPool(this.hostname, this.port, poolOptions);
  }

  eligible(now: number): boolean {
    return this.healthy && now >= this.ejectedUntil;
  }

  eject(now: number, ms: number): void {
    this.ejectedUntil = now + ms;
  }

  begin(): void {
    this.inflight++;
  }

  end(): void {
    this.inflight--;
    if (this.inflight === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  destroy(): void {
    this.pool.destroy();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

export function targetKey(service: RouterServiceName, t: Pick<RouterTarget, 'id' | 'url' | 'version'>): string {
  return `${service}\u0000${t.id}\u0000${t.url}\u0000${t.version}`;
}
