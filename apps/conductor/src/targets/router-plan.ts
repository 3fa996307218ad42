import type { RouterState, RouterStateInput, RouterTarget } from '@cc/contracts';
import { CcrError } from '../errors.js';
import { SERVICES, type ServiceName, type TargetInstance, type TrafficPlan, type TrafficView } from '../engine/deploy-target.js';

// Traffic changes as plain data (the Kamal habit): a pure function turns the router's current
// state, the running instances and a desired plan into the next router state, so tests compare
// plans exactly and one executor (the router's compare-and-set PUT) applies them.

/** Weighted traffic is spread over this many units per service; the router only uses ratios. */
export const WEIGHT_UNITS = 10_000;

function spread(units: number, n: number): number[] {
  const base = Math.floor(units / n);
  return Array.from({ length: n }, (_, i) => base + (i < units - base * n ? 1 : 0));
}

/** The next router state for a traffic plan; services absent from the plan are unchanged. */
export function planRoute(current: RouterState, instances: TargetInstance[], plan: TrafficPlan): RouterStateInput {
  const live = instances.filter((i) => i.state !== 'stopping');
  const alive = new Set(live.map((i) => i.id));
  const services = { ...current.services };
  for (const service of SERVICES) {
    const wanted = plan[service];
    if (!wanted) continue;
    const sum = Object.values(wanted).reduce((s, v) => s + v, 0);
    if (sum <= 0) throw new CcrError('usage', `traffic plan for ${service} gives no version any weight`);
    const targets: RouterTarget[] = [];
    let left = WEIGHT_UNITS;
    const versions = Object.keys(wanted).filter((v) => wanted[v]! > 0);
    versions.forEach((version, vi) => {
      const mine = live.filter((i) => i.version === version);
      if (!mine.length) throw new CcrError('conflict', `cannot route ${wanted[version]}% of ${service} to ${version}: it has no running instances`);
      const units = vi === versions.length - 1 ? left : Math.round((wanted[version]! / sum) * WEIGHT_UNITS);
      left -= units;
      spread(units, mine.length).forEach((w, k) => targets.push({ id: mine[k]!.id, version, url: mine[k]!.url, weight: w }));
    });
    // Versions given 0 and versions already attached stay known at weight 0: warm for an
    // instant switch back, reachable by pin, and their hashed assets stay servable.
    const zero = new Set(Object.keys(wanted).filter((v) => wanted[v] === 0));
    for (const t of current.services[service].targets) if (!versions.includes(t.version) && alive.has(t.id)) zero.add(t.version);
    for (const version of zero) {
      for (const i of live.filter((x) => x.version === version)) targets.push({ id: i.id, version, url: i.url, weight: 0 });
    }
    services[service] = { targets };
  }
  return { services, maintenance: current.maintenance };
}

/** The next router state without some instances; refuses to leave a service with no weight. */
export function planDetach(current: RouterState, which: { version?: string; instanceIds?: string[] }): RouterStateInput {
  const ids = new Set(which.instanceIds ?? []);
  const gone = (t: RouterTarget) => (which.version !== undefined && t.version === which.version) || ids.has(t.id);
  const services = { ...current.services };
  for (const service of SERVICES) {
    const before = current.services[service].targets;
    const after = before.filter((t) => !gone(t));
    if (before.some((t) => t.weight > 0) && !after.some((t) => t.weight > 0)) {
      throw new CcrError('conflict', `detaching ${which.version ?? [...ids].join(', ')} would leave the ${service} service with no traffic target; route elsewhere first`);
    }
    services[service] = { targets: after };
  }
  return { services, maintenance: current.maintenance };
}

export function viewOf(state: RouterState): TrafficView {
  const split = {} as TrafficView['split'];
  const attached = {} as TrafficView['attached'];
  for (const service of SERVICES) {
    const targets = state.services[service].targets;
    const total = targets.reduce((s, t) => s + t.weight, 0);
    const by: Record<string, number> = {};
    for (const t of targets) if (t.weight > 0) by[t.version] = (by[t.version] ?? 0) + t.weight;
    for (const v of Object.keys(by)) by[v] = Math.round((by[v]! / total) * 1000) / 10;
    split[service] = by;
    attached[service] = [...new Set(targets.map((t) => t.version))];
  }
  return { split, attached, maintenance: { enabled: state.maintenance.enabled, message: state.maintenance.message ?? null } };
}

/** True when every service sends all weighted traffic to one version. */
export function allOn(view: TrafficView, version: string, services: readonly ServiceName[] = SERVICES): boolean {
  return services.every((s) => view.split[s][version] === 100);
}
