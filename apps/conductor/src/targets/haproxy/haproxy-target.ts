import { CcrError } from '../../errors.js';
import type { InstanceController, InstanceInfo } from '../../supervisor/types.js';
import type { DeployTarget, PinnedRoute, TargetInstance, TrafficPlan, TrafficView, VersionCounters } from '../../engine/deploy-target.js';
import { planDetach, planRoute, viewOf } from '../router-plan.js';
import { hostPort } from '../../config/index.js';
import { readCounters } from './counters.js';
import type { HaproxyDataPlane } from './data-plane.js';

// The several-hosts target: app instances run under a supervisor on each host of the
// environment, and a real HAProxy routes to them, changed only through its Runtime API. The
// traffic plans are the local target's (router-plan.ts), applied by the HAProxy data plane.

export interface HaproxyHost {
  name: string;
  /** The address HAProxy reaches this host's instances on (its supervisor binds ports there). */
  address: string;
  controller: InstanceController;
}

export interface HaproxyTargetOptions {
  plane: HaproxyDataPlane;
  hosts: HaproxyHost[];
  /** HAProxy's public URL, e.g. http://lb.example.com or http://127.0.0.1:8080. */
  publicUrl: string;
  pinToken: string;
}

// Instance ids are "<host>.<supervisor id>": unique across hosts, and stable, so the data
// plane's server names (derived from ids) are too.
const SEP = '.';

export class HaproxyTarget implements DeployTarget {
  readonly type = 'haproxy';
  constructor(private readonly o: HaproxyTargetOptions) {
    if (o.hosts.length === 0) throw new CcrError('config_invalid', 'the haproxy target needs at least one host');
  }

  async instances(): Promise<TargetInstance[]> {
    // Start order across hosts (each supervisor lists its own in start order): strategies
    // such as rolling replace the oldest first.
    const per = await Promise.all(this.o.hosts.map(async (h) => (await h.controller.list()).map((i) => ({ at: i.startedAt, inst: this.toInstance(h, i) }))));
    return per.flat().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((x) => x.inst);
  }

  /** Spreads the new instances over the hosts, fewest instances of this version first. */
  async start(version: string, count: number, opts: { readyTimeoutMs?: number } = {}): Promise<TargetInstance[]> {
    const have = new Map(this.o.hosts.map((h) => [h.name, 0]));
    for (const i of await this.instances()) if (i.version === version) have.set(this.hostOf(i.id).name, (have.get(this.hostOf(i.id).name) ?? 0) + 1);
    const plan = new Map<string, number>();
    for (let k = 0; k < count; k++) {
      const h = [...this.o.hosts].sort((a, b) => have.get(a.name)! + (plan.get(a.name) ?? 0) - (have.get(b.name)! + (plan.get(b.name) ?? 0)))[0]!;
      plan.set(h.name, (plan.get(h.name) ?? 0) + 1);
    }
    const started = await Promise.allSettled(
      this.o.hosts.filter((h) => plan.has(h.name)).map(async (h) => {
        const infos = await h.controller.start(version, plan.get(h.name)!, opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {});
        return infos.map((i) => this.toInstance(h, i));
      }),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // One host failing fails the call: what the other hosts started is stopped again.
      const ok = started.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      await Promise.allSettled(ok.map((i) => this.stopOnHost(i.id)));
      throw failed.reason;
    }
    return started.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  }

  async stop(instanceId: string): Promise<void> {
    const state = await this.o.plane.readState();
    const routed = [...state.services.api.targets, ...state.services.web.targets].find((t) => t.id === instanceId);
    if (routed) throw new CcrError('conflict', `instance ${instanceId} is still attached to HAProxy; detach it first`);
    await this.stopOnHost(instanceId);
  }

  async traffic(): Promise<TrafficView> {
    return viewOf(await this.o.plane.readState());
  }

  async route(plan: TrafficPlan): Promise<TrafficView> {
    const [state, instances] = await Promise.all([this.o.plane.readState(), this.instances()]);
    return viewOf(await this.o.plane.applyState(planRoute(state, instances, plan)));
  }

  async detach(which: { version?: string; instanceIds?: string[] }): Promise<TrafficView> {
    return viewOf(await this.o.plane.applyState(planDetach(await this.o.plane.readState(), which)));
  }

  counters(): Promise<VersionCounters[]> {
    return readCounters(this.o.plane.runtime);
  }

  async setMaintenance(enabled: boolean, message?: string): Promise<void> {
    const current = (await this.o.plane.readState()).maintenance;
    await this.o.plane.setMaintenance({ ...current, enabled, ...(message ? { message } : { message: undefined }) });
  }

  pinned(version: string): PinnedRoute {
    return { baseUrl: this.o.publicUrl, headers: { 'x-cc-version': version, 'x-cc-pin-token': this.o.pinToken } };
  }

  publicUrl(): string {
    return this.o.publicUrl;
  }

  private toInstance(h: HaproxyHost, i: InstanceInfo): TargetInstance {
    return {
      id: `${h.name}${SEP}${i.id}`,
      version: i.version,
      url: `http://${hostPort(h.address, i.port)}`,
      ...(i.metricsPort ? { metricsUrl: `http://${hostPort(h.address, i.metricsPort)}` } : {}),
      state: i.state,
    };
  }

  private hostOf(id: string): HaproxyHost {
    const h = this.o.hosts.find((x) => id.startsWith(`${x.name}${SEP}`));
    if (!h) throw new CcrError('not_found', `no host of this environment runs instance ${id}`);
    return h;
  }

  private async stopOnHost(id: string): Promise<void> {
    const h = this.hostOf(id);
    try {
      await h.controller.stop(id.slice(h.name.length + SEP.length));
    } catch (err) {
      if (!(err instanceof CcrError && err.code === 'not_found')) throw err; // already gone is the goal
    }
  }
}
