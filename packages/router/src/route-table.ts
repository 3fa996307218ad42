// A state compiled for the hot path: per service, versions with their summed weights and
// their targets. A new table is built for every state change and swapped in with one
// assignment, so a request sees either the old state or the new one, never a mix.
import type { RouterServiceName, RouterState } from '@cc/contracts';
import { CompiledMaintenance } from './maintenance.js';
import type { TargetRuntime } from './target-runtime.js';

interface WeightedTarget {
  rt: TargetRuntime;
  weight: number;
}

export class VersionGroup {
  readonly version: string;
  /** Sum of the target weights: the version's share of weighted traffic. */
  readonly weight: number;
  readonly live: WeightedTarget[];
  readonly all: TargetRuntime[];
  /** Precomputed so the sticky cookie costs no string building per request. */
  readonly setCookie: string;

  constructor(version: string, targets: WeightedTarget[]) {
    this.version = version;
    this.live = targets.filter((t) => t.weight > 0);
    this.all = targets.map((t) => t.rt);
    this.weight = this.live.reduce((s, t) => s + t.weight, 0);
    this.setCookie = `cc_v=${version}; Path=/; HttpOnly; SameSite=Lax`;
  }

  hasEligible(now: number): boolean {
    for (const t of this.live) if (t.rt.eligible(now)) return true;
    return false;
  }

  /**
   * A weighted choice among eligible live targets; with `allowZero`, falls back to any
   * eligible target (pinned requests may reach a version that has no traffic yet).
   */
  pick(now: number, allowZero: boolean, exclude?: TargetRuntime): TargetRuntime | undefined {
    if (this.live.length === 1) {
      const only = this.live[0]!.rt;
      if (only !== exclude && only.eligible(now)) return only;
    }
    let total = 0;
    for (const t of this.live) if (t.rt !== exclude && t.rt.eligible(now)) total += t.weight;
    if (total > 0) {
      let r = Math.random() * total;
      for (const t of this.live) {
        if (t.rt === exclude || !t.rt.eligible(now)) continue;
        r -= t.weight;
        if (r < 0) return t.rt;
      }
    }
    if (!allowZero) return undefined;
    for (const rt of this.all) if (rt !== exclude && rt.eligible(now)) return rt;
    return undefined;
  }
}

export class ServiceTable {
  readonly name: RouterServiceName;
  readonly versions: VersionGroup[];
  /** Versions with weight > 0, in state order. */
  readonly active: VersionGroup[];
  readonly byVersion: Map<string, VersionGroup>;
  /** More than one version takes traffic: the canary case, where stickiness matters. */
  readonly split: boolean;

  constructor(name: RouterServiceName, versions: VersionGroup[]) {
    this.name = name;
    this.versions = versions;
    this.active = versions.filter((v) => v.weight > 0);
    this.byVersion = new Map(versions.map((v) => [v.version, v]));
    this.split = this.active.length > 1;
  }

  /** Version chosen by weight among versions that can serve right now. */
  pickVersion(now: number): VersionGroup | undefined {
    const active = this.active;
    if (active.length === 1) {
      const only = active[0]!;
      return only.hasEligible(now) ? only : undefined;
    }
    let total = 0;
    for (const v of active) if (v.hasEligible(now)) total += v.weight;
    if (total === 0) return undefined;
    let r = Math.random() * total;
    for (const v of active) {
      if (!v.hasEligible(now)) continue;
      r -= v.weight;
      if (r < 0) return v;
    }
    return undefined;
  }

  /** An active version for a sticky cookie value, or undefined if it no longer takes traffic. */
  activeVersion(version: string): VersionGroup | undefined {
    for (const v of this.active) if (v.version === version) return v;
    return undefined;
  }
}

export class RouteTable {
  readonly api: ServiceTable;
  readonly web: ServiceTable;
  readonly state: RouterState;
  readonly maintenance: CompiledMaintenance;

  constructor(state: RouterState, runtimeFor: (service: RouterServiceName, index: number) => TargetRuntime) {
    this.state = state;
    this.maintenance = new CompiledMaintenance(state.maintenance);
    this.api = buildService('api', state, runtimeFor);
    this.web = buildService('web', state, runtimeFor);
  }
}

function buildService(
  name: RouterServiceName,
  state: RouterState,
  runtimeFor: (service: RouterServiceName, index: number) => TargetRuntime,
): ServiceTable {
  const groups = new Map<string, WeightedTarget[]>();
  state.services[name].targets.forEach((t, i) => {
    const list = groups.get(t.version) ?? [];
    list.push({ rt: runtimeFor(name, i), weight: t.weight });
    groups.set(t.version, list);
  });
  return new ServiceTable(name, [...groups].map(([v, ts]) => new VersionGroup(v, ts)));
}
