import type { RouterMetricsSnapshot, RouterStatusClass, RouterVersionMetrics } from '@cc/contracts';
import { SERVICES, type ServiceName, type VersionCounters } from '../../engine/deploy-target.js';
import { assetBackend, COUNTERS_TABLE, LATENCY_BUCKETS_S, slotBackend, type HaproxyLayout } from './layout.js';
import { showOk, type HaproxyRuntime } from './runtime-api.js';
import type { RuntimeFiles } from './runtime-files.js';

// Per-version counters from HAProxy itself. Its per-server `show stat` only has averages
// and vanishes with `del server`, so the config counts every response in a stick table keyed
// "service|version|class|latency bucket" (gpc0), which gives the cumulative histogram that
// analysis takes deltas of. Connection errors come from `show stat` (econ + eresp).

interface Cell {
  service: ServiceName;
  version: string;
  cls: string;
  le: number;
  count: number;
}

async function readCells(rt: HaproxyRuntime): Promise<Cell[]> {
  const out: Cell[] = [];
  for (const line of (await rt.must(`show table ${COUNTERS_TABLE}`, showOk)).split('\n')) {
    const m = /key=(\S+) .*gpc0=(\d+)/.exec(line);
    if (!m) continue;
    const [service, version, cls, bucket] = m[1]!.split('|');
    if (!SERVICES.includes(service as ServiceName) || !version || !cls || !bucket) continue;
    out.push({ service: service as ServiceName, version, cls, le: bucket === 'inf' ? Infinity : Number(bucket), count: Number(m[2]) });
  }
  return out;
}

function group(cells: Cell[]): Map<string, Cell[]> {
  const by = new Map<string, Cell[]>();
  for (const c of cells) {
    const key = `${c.service}|${c.version}`;
    by.set(key, [...(by.get(key) ?? []), c]);
  }
  return by;
}

function cumulative(cells: Cell[]): Array<{ le: number; count: number }> {
  let running = 0;
  return [...LATENCY_BUCKETS_S, Infinity].map((le) => {
    running += cells.filter((c) => c.le === le).reduce((s, c) => s + c.count, 0);
    return { le, count: running };
  });
}

export async function readCounters(rt: HaproxyRuntime): Promise<VersionCounters[]> {
  return [...group(await readCells(rt)).values()].map((cells) => ({
    service: cells[0]!.service,
    version: cells[0]!.version,
    total: cells.reduce((s, c) => s + c.count, 0),
    errors5xx: cells.filter((c) => c.cls === '5xx').reduce((s, c) => s + c.count, 0),
    buckets: cumulative(cells),
  }));
}

/** The Node router's metrics snapshot shape, for the shared router contract. */
export async function readSnapshot(rt: HaproxyRuntime, layout: HaproxyLayout, files: RuntimeFiles): Promise<RouterMetricsSnapshot> {
  const errors = await upstreamErrors(rt, layout, files);
  const versions: RouterVersionMetrics[] = [];
  for (const cells of group(await readCells(rt)).values()) {
    const { service, version } = cells[0]!;
    const requests: Record<RouterStatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    for (const c of cells) if (c.cls in requests) requests[c.cls as RouterStatusClass] += c.count;
    const buckets = cumulative(cells);
    const total = buckets.at(-1)!.count;
    const q = (p: number) => (total === 0 ? null : Math.min(buckets.find((b) => b.count >= p * total)!.le, LATENCY_BUCKETS_S.at(-1)!) * 1000);
    versions.push({ service, version, requests, total, upstreamErrors: errors.get(`${service}|${version}`) ?? 0, latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) } });
  }
  for (const [key, n] of errors) {
    const [service, version] = key.split('|') as [ServiceName, string];
    if (!versions.some((v) => v.service === service && v.version === version)) {
      versions.push({ service, version, requests: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, total: 0, upstreamErrors: n, latencyMs: { p50: null, p95: null, p99: null } });
    }
  }
  return { at: new Date().toISOString(), versions };
}

async function upstreamErrors(rt: HaproxyRuntime, layout: HaproxyLayout, files: RuntimeFiles): Promise<Map<string, number>> {
  const served = await files.readMap('served');
  const serviceOf = new Map<string, ServiceName>();
  for (const s of SERVICES) {
    serviceOf.set(layout.backends[s], s);
    for (let i = 0; i < layout.slots; i++) serviceOf.set(slotBackend(layout, s, i), s);
  }
  serviceOf.set(assetBackend(layout), 'web');
  const lines = (await rt.must('show stat -1 4 -1', showOk)).split('\n');
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const at = (row: string[], name: string) => Number(row[header.indexOf(name)] || 0);
  const out = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const row = line.split(',');
    const service = serviceOf.get(row[0] ?? '');
    const version = served.get(row[1] ?? '');
    if (!service || !version) continue;
    const key = `${service}|${version}`;
    out.set(key, (out.get(key) ?? 0) + at(row, 'econ') + at(row, 'eresp'));
  }
  return out;
}
