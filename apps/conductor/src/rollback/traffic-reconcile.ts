import type { RouterState } from '@cc/contracts';
import type pg from 'pg';
import type { RouterAdminClient } from '../runtime/router-client.js';
import { routesToLive, type RouteKeeper } from '../runtime/route-keeper.js';
import { audit, inFlightRelease, lockStatus } from '../store/index.js';
import type { InstanceInfo } from '../supervisor/types.js';
import { SERVICES, type TrafficPlan, type TrafficSplit, type TrafficView } from '../engine/deploy-target.js';
import { planRoute, viewOf } from '../targets/router-plan.js';

// After a restart, the router's state and the conductor's record (traffic_history) must agree,
// or be reconciled, saying which one was trusted and why (audit action traffic.reconcile).
//
// The rule (docs/DESIGN.md, Changes): the router persists a change (fsynced) before it applies
// it, and the conductor records a change only after the router applied it. So the router's own
// state is never older than the record; it can only be newer, when a conductor died between
// the two writes. The router is trusted whenever it has a state of its own, and a record that
// lags is caught up. The record is trusted only when the router has none (its state file was
// lost, or it never had one), and then its split is applied to the router again.

export const ROUTER_IS_NEWER = 'the router persists a change before it applies it and the conductor records it only after, so the router is never older than the record';
export const ROUTER_HAS_NO_STATE = 'the router had no state of its own (its state file was missing or empty)';

type Db = Pick<pg.Pool, 'query'>;

export interface RecordedTraffic {
  releaseId: string;
  split: Partial<TrafficSplit>;
}

/** The last recorded split per service of a release (default: the environment's release in flight). */
export async function recordedTraffic(db: Db, env: string, releaseId?: string): Promise<RecordedTraffic | null> {
  const id = releaseId ?? (await inFlightRelease(db, env))?.id;
  if (!id) return null;
  const r = await db.query<{ service: keyof TrafficSplit; weights: Record<string, number> }>(
    'SELECT DISTINCT ON (service) service, weights FROM traffic_history WHERE release_id = $1 ORDER BY service, id DESC',
    [id],
  );
  if (!r.rows.length) return null;
  return { releaseId: id, split: Object.fromEntries(r.rows.map((row) => [row.service, row.weights])) };
}

function sameWeights(a: Record<string, number> | undefined, b: Record<string, number> | undefined): boolean {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].every((k) => Math.abs((a?.[k] ?? 0) - (b?.[k] ?? 0)) < 0.15);
}

const show = (split: Partial<TrafficSplit>) => SERVICES.filter((s) => split[s]).map((s) => `${s} ${Object.entries(split[s]!).map(([v, w]) => `${v} ${w}%`).join(' / ')}`).join(', ');

/**
 * Compares the router's split with the record of a release: agreement is audited; a router
 * that is ahead is trusted and the record caught up. `inCharge` says the caller holds the
 * environment lock; without it, a live conductor that does is left to record its own change.
 */
export async function reconcileRecord(db: Db, o: { env: string; actor: string; when: string; view: TrafficView; record: RecordedTraffic; inCharge: boolean }): Promise<string> {
  const { record, view } = o;
  const differing = SERVICES.filter((s) => record.split[s] && !sameWeights(record.split[s], view.split[s]));
  const base = { actor: o.actor, env: o.env, releaseId: record.releaseId, action: 'traffic.reconcile' };
  if (!differing.length) {
    await audit(db, { ...base, result: 'agree', details: { when: o.when, split: view.split } });
    return `the router and the record of ${record.releaseId} agree: ${show(view.split)}`;
  }
  if (!o.inCharge && (await lockStatus(db, o.env))?.state === 'held') {
    await audit(db, { ...base, result: 'left to the conductor in charge', details: { when: o.when, router: view.split, record: record.split, why: `${ROUTER_IS_NEWER}; the conductor holding the lock records its own change` } });
    return `the router (${show(view.split)}) is ahead of the record (${show(record.split)}); the conductor in charge records it`;
  }
  for (const s of differing) await db.query('INSERT INTO traffic_history (release_id, env, service, weights) VALUES ($1, $2, $3, $4)', [record.releaseId, o.env, s, view.split[s]]);
  await audit(db, { ...base, result: 'trusted the router', details: { when: o.when, router: view.split, record: record.split, why: ROUTER_IS_NEWER } });
  return `the router (${show(view.split)}) and the record (${show(record.split)}) disagreed; trusted the router (${ROUTER_IS_NEWER}) and recorded its split`;
}

export interface RecordAccess {
  db: Db;
  env: string;
  actor: string;
  close(): Promise<void>;
}

/** Per service, the plan that gives every version of `split` with live instances its share. */
function planFor(split: Partial<TrafficSplit>, live: Set<string>, fallback: string): TrafficPlan {
  const plan: TrafficPlan = {};
  for (const s of SERVICES) {
    const weights = Object.fromEntries(Object.entries(split[s] ?? split.api ?? {}).filter(([v, w]) => w > 0 && live.has(v)));
    plan[s] = Object.keys(weights).length ? weights : { [fallback]: 100 };
  }
  return plan;
}

function hasWeight(state: RouterState): boolean {
  return SERVICES.some((s) => state.services[s].targets.some((t) => t.weight > 0));
}

/**
 * The runtime's RouteKeeper with the conductor's record: keeps a router state that routes to
 * live instances, re-spreads a persisted split over new instances of the same versions (after
 * `ccr down && ccr up`), and falls back to the record, then to the active version, only when
 * the router has no state. `openRecord` gives the store, or null when it cannot be reached
 * (then only the router's own state is used, and that is said).
 */
export function conductorKeeper(openRecord: () => Promise<RecordAccess | null>): RouteKeeper {
  return {
    async versionsToRun(persisted, active, instances) {
      const counts: Record<string, number> = {};
      if (persisted && hasWeight(persisted.state)) {
        for (const s of SERVICES) {
          const byVersion: Record<string, number> = {};
          for (const t of persisted.state.services[s].targets) byVersion[t.version] = (byVersion[t.version] ?? 0) + 1;
          for (const [v, n] of Object.entries(byVersion)) counts[v] = Math.max(counts[v] ?? 0, n);
        }
      } else {
        const rec = await withRecord(openRecord, (r) => recordedTraffic(r.db, r.env));
        for (const s of SERVICES) for (const v of Object.keys(rec?.split[s] ?? {})) counts[v] = instances;
      }
      delete counts[active];
      return counts;
    },

    async restore(router, instances, active, when) {
      const doc = await router.getState();
      const access = await openRecord().catch(() => null);
      try {
        const rec = access ? await recordedTraffic(access.db, access.env).catch(() => null) : null;
        const live = new Set(instances.filter((i) => i.state !== 'stopping').map((i) => i.version));
        const intact = routesToLive(doc, instances);
        const empty = !intact && !hasWeight(doc.state);
        let said: string;
        let plan: TrafficPlan | null = null;
        if (intact) said = `the router kept its state v${doc.version}`;
        else if (!empty) {
          plan = planFor(viewOf(doc.state).split, live, active);
          said = "the router's persisted split was spread over the running instances";
        } else if (rec) {
          plan = planFor(rec.split, live, active);
          said = `restored the record's split of ${rec.releaseId}: ${ROUTER_HAS_NO_STATE}`;
        } else {
          plan = { api: { [active]: 100 }, web: { [active]: 100 } };
          said = `the router routes everything to ${active}`;
        }
        const view = plan ? viewOf((await applyPlan(router, instances, plan)).state) : viewOf(doc.state);
        if (!access) return `${said}; the conductor's record cannot be reached, so it was not compared`;
        if (!rec) return said;
        if (empty) {
          await audit(access.db, { actor: access.actor, env: access.env, releaseId: rec.releaseId, action: 'traffic.reconcile', result: 'trusted the record', details: { when, router: viewOf(doc.state).split, record: rec.split, applied: view.split, why: ROUTER_HAS_NO_STATE } });
          return said;
        }
        return `${said}; ${await reconcileRecord(access.db, { env: access.env, actor: access.actor, when, view, record: rec, inCharge: false })}`;
      } finally {
        await access?.close().catch(() => undefined);
      }
    },
  };
}

async function applyPlan(router: RouterAdminClient, instances: InstanceInfo[], plan: TrafficPlan) {
  const targets = instances.map((i) => ({ id: i.id, version: i.version, url: i.url, state: i.state }));
  return router.updateState((d) => planRoute(d.state, targets, plan));
}

async function withRecord<T>(open: () => Promise<RecordAccess | null>, fn: (r: RecordAccess) => Promise<T>): Promise<T | null> {
  const access = await open().catch(() => null);
  if (!access) return null;
  try {
    return await fn(access);
  } catch {
    return null;
  } finally {
    await access.close().catch(() => undefined);
  }
}
