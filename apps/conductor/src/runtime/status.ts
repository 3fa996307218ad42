import type { RouterServiceName, RouterStateDocument, RouterTargetStatus } from '@cc/contracts';
import { probe } from '../supervisor/health.js';
import type { InstanceInfo } from '../supervisor/types.js';
import type { RouterAdminClient } from './router-client.js';
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
    stateVersion: number;
    maintenance: { enabled: boolean; message: string | null; retryAfter: number };
    services: Record<RouterServiceName, ServiceStatus>;
  } | null;
  versions: Array<{ version: string; instances: Array<InstanceInfo & { healthy: boolean }> }>;
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

export async function buildStatus(record: RuntimeRecord, instances: InstanceInfo[], router: RouterAdminClient | null): Promise<RuntimeStatus> {
  const healths = await Promise.all(instances.map(async (i) => (await probe(`${i.url}/health/ready`, 1500)).status === 200));
  const versions = new Map<string, Array<InstanceInfo & { healthy: boolean }>>();
  instances.forEach((i, n) => versions.set(i.version, [...(versions.get(i.version) ?? []), { ...i, healthy: healths[n]! }]));
  let routerStatus: RuntimeStatus['router'] = null;
  if (router && record.router) {
    const [doc, live] = await Promise.all([router.getState(), router.targets().catch(() => [])]);
    routerStatus = {
      pid: record.router.pid,
      port: record.router.port,
      adminPort: record.router.adminPort,
      stateVersion: doc.version,
      maintenance: { enabled: doc.state.maintenance.enabled, message: doc.state.maintenance.message ?? null, retryAfter: doc.state.maintenance.retryAfter },
      services: { api: serviceStatus(doc, 'api', live), web: serviceStatus(doc, 'web', live) },
    };
  }
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
    router: routerStatus,
    versions: [...versions.entries()].map(([version, list]) => ({ version, instances: list })),
  };
}
