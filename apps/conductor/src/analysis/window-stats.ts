import type { ServiceName, VersionCounters } from '../engine/deploy-target.js';

// What happened to one version between two counter snapshots: request and 5xx deltas and the
// latency histogram of just that window (so a slow canary is judged on its recent requests,
// not on its whole life).

export interface WindowStats {
  requests: number;
  errors5xx: number;
  buckets: Array<{ le: number; count: number }>;
}

/** +Inf survives JSON (release.data) as null. */
const bound = (le: number | null): number => (le === null ? Infinity : le);

export function windowStats(before: VersionCounters[], after: VersionCounters[], version: string, service: ServiceName = 'api'): WindowStats {
  const find = (list: VersionCounters[]) => list.find((c) => c.version === version && c.service === service);
  const a = find(after);
  const b = find(before);
  if (!a) return { requests: 0, errors5xx: 0, buckets: [] };
  const prev = new Map((b?.buckets ?? []).map((x) => [bound(x.le), x.count]));
  return {
    requests: a.total - (b?.total ?? 0),
    errors5xx: a.errors5xx - (b?.errors5xx ?? 0),
    buckets: a.buckets.map((x) => ({ le: bound(x.le), count: x.count - (prev.get(bound(x.le)) ?? 0) })),
  };
}

/** Quantile in milliseconds from a cumulative histogram, interpolated inside the bucket. */
export function quantileMs(buckets: Array<{ le: number; count: number }>, q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe * 1000;
      const inBucket = count - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return Math.round((prevLe + (le - prevLe) * frac) * 1e6) / 1e3;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe * 1000;
}
