import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routerStateSchema, type RouterStateDocument, type RouterTarget } from '@cc/contracts';
import type { CcPaths } from '../paths.js';
import type { InstanceInfo } from '../supervisor/types.js';
import type { RouterAdminClient } from './router-client.js';

// What the runtime asks when the router (re)starts: which versions must run so the router's
// split can be served, and how to make the router route to live instances again. `ccr up`
// injects the conductor's implementation (rollback/traffic-reconcile.ts), which also compares
// the router with the conductor's record; without one, the router keeps a state whose targets
// all run, and otherwise routes everything to the active version.

export interface RouteKeeper {
  /** Versions other than the active one to run at start-up, with an instance count each (`instances`: the active version's). */
  versionsToRun(persisted: RouterStateDocument | null, activeVersion: string, instances: number): Promise<Record<string, number>>;
  /** Makes the router route to live instances; resolves with a line saying what it did and why. */
  restore(router: RouterAdminClient, instances: InstanceInfo[], activeVersion: string, when: 'start' | 'restart'): Promise<string>;
}

export function routerStateFile(paths: CcPaths): string {
  return join(paths.router, 'state.json');
}

/** The router's persisted state as it is on disk (null when missing or not a valid state). */
export function readRouterStateFile(paths: CcPaths): RouterStateDocument | null {
  try {
    const doc = JSON.parse(readFileSync(routerStateFile(paths), 'utf8')) as { version?: unknown; state?: unknown };
    const state = routerStateSchema.safeParse(doc.state);
    return typeof doc.version === 'number' && state.success ? { version: doc.version, state: state.data } : null;
  } catch {
    return null;
  }
}

/** Every target of the state is an instance that runs at that URL, and some carry weight. */
export function routesToLive(doc: RouterStateDocument, instances: InstanceInfo[]): boolean {
  const known = new Map(instances.map((i) => [i.id, i.url.replace(/\/$/, '')]));
  const current = [...doc.state.services.api.targets, ...doc.state.services.web.targets];
  return current.length > 0 && current.every((t) => known.get(t.id) === t.url.replace(/\/$/, '')) && current.some((t) => t.weight > 0);
}

export const activeOnlyKeeper: RouteKeeper = {
  versionsToRun: () => Promise.resolve({}),
  async restore(router, instances, version) {
    let kept = false;
    await router.updateState((doc) => {
      kept = routesToLive(doc, instances);
      if (kept) return doc.state;
      const targets: RouterTarget[] = instances.filter((i) => i.version === version).map((i) => ({ id: i.id, version: i.version, url: i.url, weight: 100 }));
      return { services: { api: { targets }, web: { targets } }, maintenance: doc.state.maintenance };
    });
    return kept ? 'the router kept its state' : `the router routes everything to ${version}`;
  },
};
