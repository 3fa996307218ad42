import type { RouterStateInput } from '@cc/contracts';
import { CcrError } from '../errors.js';
import type { RouterAdminClient } from '../runtime/router-client.js';
import type { InstanceController, InstanceInfo } from '../supervisor/types.js';
import type { DeployTarget, PinnedRoute, TargetInstance, TrafficPlan, TrafficView, VersionCounters } from '../engine/deploy-target.js';
import { parseRouterCounters } from './prometheus-text.js';
import { planDetach, planRoute, viewOf } from './router-plan.js';

// The single-host target: instances come from the supervisor (in-process, or a running
// `ccr up` through its control API) and traffic from the router's admin API. Every traffic
// change is a compare-and-set of the whole router state, retried when another writer won.

export interface LocalTargetOptions {
  controller: InstanceController;
  router: RouterAdminClient;
  /** The router's public URL, e.g. http://127.0.0.1:8080. */
  publicUrl: string;
  pinToken: string;
}

const toInstance = (i: InstanceInfo): TargetInstance => ({
  id: i.id,
  version: i.version,
  url: i.url,
  ...(i.metricsPort ? { metricsUrl: `http://127.0.0.1:${i.metricsPort}` } : {}),
  state: i.state,
});

export class LocalTarget implements DeployTarget {
  readonly type = 'local';
  constructor(private readonly o: LocalTargetOptions) {}

  async instances(): Promise<TargetInstance[]> {
    return (await this.o.controller.list()).map(toInstance);
  }

  async start(version: string, count: number, opts: { readyTimeoutMs?: number } = {}): Promise<TargetInstance[]> {
    return (await this.o.controller.start(version, count, opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {})).map(toInstance);
  }

  async stop(instanceId: string): Promise<void> {
    const state = (await this.o.router.getState()).state;
    const routed = [...state.services.api.targets, ...state.services.web.targets].find((t) => t.id === instanceId);
    if (routed) throw new CcrError('conflict', `instance ${instanceId} is still attached to the router; detach it first`);
    try {
      await this.o.controller.stop(instanceId);
    } catch (err) {
      if (!(err instanceof CcrError && err.code === 'not_found')) throw err; // already gone is the goal
    }
  }

  async traffic(): Promise<TrafficView> {
    return viewOf((await this.o.router.getState()).state);
  }

  async route(plan: TrafficPlan): Promise<TrafficView> {
    const instances = await this.instances();
    return this.apply((s) => planRoute(s, instances, plan));
  }

  async detach(which: { version?: string; instanceIds?: string[] }): Promise<TrafficView> {
    return this.apply((s) => planDetach(s, which));
  }

  async counters(): Promise<VersionCounters[]> {
    return parseRouterCounters(await this.o.router.prometheus());
  }

  async setMaintenance(enabled: boolean, message?: string): Promise<void> {
    await this.o.router.setMaintenance({ enabled, ...(message ? { message } : {}) });
  }

  pinned(version: string): PinnedRoute {
    return { baseUrl: this.o.publicUrl, headers: { 'x-cc-version': version, 'x-cc-pin-token': this.o.pinToken } };
  }

  publicUrl(): string {
    return this.o.publicUrl;
  }

  private async apply(next: (s: Parameters<typeof planRoute>[0]) => RouterStateInput): Promise<TrafficView> {
    const doc = await this.o.router.updateState((d) => next(d.state));
    return viewOf(doc.state);
  }
}
