import type { RouterServiceName, RouterStateDocument, RouterTargetStatus } from '@cc/contracts';
import { probe } from '../supervisor/health.js';
import type { InstanceInfo } from '../supervisor/types.js';
import { errorMessage } from '../errors.js';
import type { RouterAdminClient } from './router-client.js';
import type { RouterHealth } from './router-supervisor.js';
import type { RuntimeRecord } from './runtime-state.js';

// The runtime half of `ccr status --json`: environment, instances by version with live
// health, and the router's traffic split per service and maintenance. The engine adds the
// release record (phase, step, lock) beside it.

export interface ServiceStatus {
  /** Share of new weighted traffic per version, in percent (0-100, rounded to 0.1). */
  weights: Record<string, number>;
  targets: Array<{ id: string; version: string; url: string; weight: number; healthy: boolean | null; draining: boolean | null }>;
}

export interface RuntimeStatus {
  environment: string;
  running: boolean;
  phase: RuntimeRecord['phase'] | 'stopped';
  pid: number | null;
  startedAt: string | null;
  database: { mode: 'embedded' | 'external'; url: string } | null;
  activeVersion: string | null;
  urls: { app: string; routerAdmin: string } | null;
  router: {
    pid: number;
    port: number;
    adminPort: number;
    /** False while the router is down (crashed and not yet back, or not answering). */
    up: boolean;
    /** Why it is down, when it is. */
    problem: string | null;
    restarts: number;
    lastExit: RouterHealth['lastExit'];
    /** Where state, weights and maintenance below come from: the live router, or its state file when it is down. */
    source: 'router' | 'state-file' | 'none';
    stateVersion: number;
    maintenance: { enabled: boolean; message: string | null; retryAfter: number };
    services: Record<RouterServiceName, ServiceStatus>;
  } | null;
  versions: Array<{ version: string; instances: Array<InstanceInfo & { healthy: boolean }> }>;
  /** Set when the status is partial (the runtime's control API did not answer). */
  problem?: string;
}

export function serviceStatus(doc: RouterStateDocument, service: RouterServiceName, live: RouterTargetStatus[]): ServiceStatus {
  const targets = doc.state.services[service].targets;
  const total = targets.reduce((s, t) => s + t.weight, 0);
  const weights: Record<string, number> = {};
  for (const t of targets) weights[t.version] = (weights[t.version] ?? 0) + t.weight;
  for (const v of Object.keys(weights)) weights[v] = total ? Math.round((weights[v]! / total) * 1000) / 10 : 0;
  return {
    weights,
    targets: targets.map((t) => {
      const l = live.find((x) => x.service === service && x.id === t.id);
      return { id: t.id, version: t.version, url: t.url, weight: t.weight, healthy: l ? l.healthy && !l.ejected : null, draining: l ? l.draining : null };
    }),
  };
}

export interface RouterView {
  client: RouterAdminClient;
  health: RouterHealth;
  /** The router's persisted state file, read when the router does not answer. */
  persisted: () => RouterStateDocument | null;
}

/** The router part of the status; never throws: a router that is down is reported as such. */
export async function routerStatus(info: NonNullable<RuntimeRecord['router']>, view: RouterView): Promise<NonNullable<RuntimeStatus['router']>> {
  const base = { pid: info.pid, port: info.port, adminPort: info.adminPort, restarts: view.health.restarts, lastExit: view.health.lastExit };
  try {
    const [doc, live] = await Promise.all([view.client.getState(), view.client.targets().catch(() => [])]);
    return { ...base, up: true, problem: null, source: 'router', ...stateFields(doc, live) };
  } catch (err) {
    const problem = view.health.problem ?? `the admin API does not answer (${errorMessage(err)})`;
    const doc = view.persisted();
    if (!doc) return { ...base, up: false, problem, source: 'none', stateVersion: 0, maintenance: { enabled: false, message: null, retryAfter: 0 }, services: { api: { weights: {}, targets: [] }, web: { weights: {}, targets: [] } } };
    return { ...base, up: false, problem, source: 'state-file', ...stateFields(doc, []) };
  }
}

function stateFields(doc: RouterStateDocument, live: RouterTargetStatus[]) {
  return {
    stateVersion: doc.version,
    maintenance: { enabled: doc.state.maintenance.enabled, message: doc.state.maintenance.message ?? null, retryAfter: doc.state.maintenance.retryAfter },
    services: { api: serviceStatus(doc, 'api', live), web: serviceStatus(doc, 'web', live) },
  };
}

export async function buildStatus(record: RuntimeRecord, instances: InstanceInfo[], router: RouterView | null): Promise<RuntimeStatus> {
  const healths = await Promise.all(instances.map(async (i) => (await probe(`${i.url}/health/ready`, 1500)).status === 200));
  const versions = new Map<string, Array<InstanceInfo & { healthy: boolean }>>();
  instances.forEach((i, n) => versions.set(i.version, [...(versions.get(i.version) ?? []), { ...i, healthy: healths[n]! }]));
  const routerPart = router && record.router ? await routerStatus(record.router, router) : null;
  const host = record.router ? (record.router.host === '0.0.0.0' ? '127.0.0.1' : record.router.host) : null;
  return {
    environment: record.environment,
    running: true,
    phase: record.phase,
    pid: record.pid,
    startedAt: record.startedAt,
    database: { mode: record.database.mode, url: record.database.display },
    activeVersion: record.activeVersion,
    urls: record.router && host ? { app: `http://${host}:${record.router.port}`, routerAdmin: `http://127.0.0.1:${record.router.adminPort}` } : null,
    router: routerPart,
    versions: [...versions.entries()].map(([version, list]) => ({ version, instances: list })),
  };
}
