import type { ServiceName, VersionCounters } from '../engine/deploy-target.js';

// Reads the router's Prometheus text: its per-version counters and latency histogram. The
// JSON metrics endpoint only has quantiles since start-up, and analysis needs quantiles over
// a window, which only histogram deltas give.

const LINE = /^([a-z_]+)\{([^}]*)\}\s+([0-9.eE+-]+|\+Inf|NaN)/;

function labels(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of raw.matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return out;
}

export function parseRouterCounters(text: string): VersionCounters[] {
  const by = new Map<string, VersionCounters>();
  const get = (service: string, version: string) => {
    const key = `${service}\u0000${version}`;
    let c = by.get(key);
    if (!c) {
      c = { service: service as ServiceName, version, total: 0, errors5xx: 0, buckets: [] };
      by.set(key, c);
    }
    return c;
  };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, name, rawLabels, rawValue] = m;
    const l = labels(rawLabels!);
    if (!l['service'] || !l['version']) continue;
    const value = Number(rawValue);
    if (name === 'cc_router_requests_total') {
      const c = get(l['service'], l['version']);
      c.total += value;
      if (l['code_class'] === '5xx') c.errors5xx += value;
    } else if (name === 'cc_router_request_duration_seconds_bucket') {
      const le = l['le'] === '+Inf' ? Infinity : Number(l['le']);
      get(l['service'], l['version']).buckets.push({ le, count: value });
    }
  }
  for (const c of by.values()) c.buckets.sort((a, b) => a.le - b.le);
  return [...by.values()];
}
