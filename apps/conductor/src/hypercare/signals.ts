import { statfsSync } from 'node:fs';
import type { Measurement } from '../analysis/metric-provider.js';
import { measurePromQL } from '../analysis/prometheus-provider.js';
import { quantileMs, windowStats } from '../analysis/window-stats.js';
import type { DeployTarget, TargetInstance, VersionCounters } from '../engine/deploy-target.js';
import type { HypercareParams } from './params.js';

// Hypercare's signals, each one check turned into a Measurement (stored like analysis ones, so
// the report charts them): pass, fail (a breach) or inconclusive (could not check; shown, never
// a breach by itself). Numbers are always in the reason.

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
type M = Measurement;
const m = (metric: string, provider: string, verdict: M['verdict'], value: number | null, threshold: number | null, reason: string, extra: Partial<M> = {}): M =>
  ({ metric, provider, verdict, value, threshold, baseline: null, sampleSize: null, reason, details: {}, ...extra });

/** Error rate and latency of the watched version between two counter snapshots (the router's). */
export function trafficSignals(p: HypercareParams, version: string, before: VersionCounters[], after: VersionCounters[]): M[] {
  const w = windowStats(before, after, version);
  const out: M[] = [];
  if (p.errorRate) {
    const { max, minRequests } = p.errorRate;
    if (w.requests < minRequests) out.push(m('error-rate', 'builtin', 'inconclusive', null, max, `error rate: ${Math.max(0, w.requests)} request(s) since the last check, fewer than ${minRequests}`, { sampleSize: Math.max(0, w.requests) }));
    else {
      const rate = w.errors5xx / w.requests;
      out.push(m('error-rate', 'builtin', rate > max ? 'fail' : 'pass', rate, max, `error rate ${pct(rate)} (${w.errors5xx}/${w.requests}) ${rate > max ? 'over' : 'within'} the limit of ${pct(max)}`, { sampleSize: w.requests }));
    }
  }
  if (p.latency) {
    const { quantile, maxMs, minRequests } = p.latency;
    const label = `p${Math.round(quantile * 100)} latency`;
    const q = w.requests >= minRequests ? quantileMs(w.buckets, quantile) : null;
    if (q === null) out.push(m(`p${Math.round(quantile * 100)}-latency`, 'builtin', 'inconclusive', null, maxMs, `${label}: too few requests since the last check`, { sampleSize: Math.max(0, w.requests) }));
    else out.push(m(`p${Math.round(quantile * 100)}-latency`, 'builtin', q > maxMs ? 'fail' : 'pass', q, maxMs, `${label} ${q.toFixed(1)} ms ${q > maxMs ? 'over' : 'within'} the limit of ${maxMs} ms`, { sampleSize: w.requests }));
  }
  return out;
}

/** Reads one unlabelled sample from Prometheus text (the API's /metrics). */
export function promSample(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) return null;
  const v = Number(line.slice(line.lastIndexOf(' ') + 1));
  return Number.isFinite(v) ? v : null;
}

/**
 * Kafka relay lag and outbox backlog from the watched version's own /metrics, read on an
 * instance's internal metrics port (the public one does not serve it).
 */
export async function outboxSignals(p: HypercareParams, instances: TargetInstance[], version: string): Promise<M[]> {
  if (!p.outbox) return [];
  const { maxPending, maxOldestAgeSeconds } = p.outbox;
  const inst = instances.find((i) => i.version === version && i.state === 'ready' && i.metricsUrl);
  if (!inst) return [m('outbox-backlog', 'api', 'inconclusive', null, maxPending, `outbox: no ready instance of ${version} with a known metrics address`)];
  let text: string;
  try {
    const res = await fetch(new URL('/metrics', inst.metricsUrl), { signal: AbortSignal.timeout(5000) });
    text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    return [m('outbox-backlog', 'api', 'inconclusive', null, maxPending, `outbox: could not read the API's /metrics: ${(err as Error).message}`)];
  }
  const pending = promSample(text, 'cc_api_outbox_pending');
  const age = promSample(text, 'cc_api_outbox_oldest_age_seconds');
  if (pending === null || age === null) return [m('outbox-backlog', 'api', 'inconclusive', null, maxPending, "outbox: the API's /metrics has no cc_api_outbox_pending / cc_api_outbox_oldest_age_seconds")];
  return [
    m('outbox-backlog', 'api', pending > maxPending ? 'fail' : 'pass', pending, maxPending, `outbox backlog ${pending} event(s) ${pending > maxPending ? 'over' : 'within'} the limit of ${maxPending}`),
    m('kafka-lag', 'api', age > maxOldestAgeSeconds ? 'fail' : 'pass', age, maxOldestAgeSeconds, `Kafka relay lag ${age.toFixed(0)} s (oldest unpublished event) ${age > maxOldestAgeSeconds ? 'over' : 'within'} the limit of ${maxOldestAgeSeconds} s`),
  ];
}

/** Instance restarts: instances of the version that crashed, or fewer alive than at the start. */
export async function restartSignal(p: HypercareParams, target: DeployTarget, version: string, expected: number): Promise<M[]> {
  if (!p.restarts) return [];
  const mine = (await target.instances()).filter((i) => i.version === version);
  const crashed = mine.filter((i) => i.state === 'crashed').length;
  const missing = Math.max(0, expected - mine.filter((i) => i.state !== 'stopping').length);
  const n = crashed + missing;
  const bad = n > p.restarts.max;
  return [m('instance-restarts', 'target', bad ? 'fail' : 'pass', n, p.restarts.max, `${n} instance(s) of ${version} crashed or gone (${crashed} crashed, ${missing} missing of ${expected}); limit ${p.restarts.max}`)];
}

/** Free space of the data folder (statfs: blocks available to unprivileged users). */
export function diskSignal(p: HypercareParams, fallbackPath: string): M[] {
  if (!p.disk) return [];
  const path = p.disk.path ?? fallbackPath;
  try {
    const s = statfsSync(path);
    const free = s.blocks > 0 ? s.bavail / s.blocks : 0;
    const bad = free < p.disk.minFreeRatio;
    return [m('disk-free', 'host', bad ? 'fail' : 'pass', free, p.disk.minFreeRatio, `disk ${path}: ${pct(free)} free (${(Number(s.bavail) * Number(s.bsize) / 2 ** 30).toFixed(1)} GiB); ${bad ? 'under' : 'above'} the minimum of ${pct(p.disk.minFreeRatio)}`, { details: { path } })];
  } catch (err) {
    return [m('disk-free', 'host', 'inconclusive', null, p.disk.minFreeRatio, `disk ${path}: ${(err as Error).message}`)];
  }
}

/** The configured PromQL queries; a query meeting its failure condition is a breach. */
export async function querySignals(p: HypercareParams, baseUrl: string | undefined, vars: { version: string; stable: string | null }): Promise<M[]> {
  const out: M[] = [];
  for (const q of p.queries) {
    const query = q.query.replaceAll('{{canary}}', vars.version).replaceAll('{{version}}', vars.version).replaceAll('{{stable}}', vars.stable ?? '');
    // Only the failure condition matters here: "no breach" is a pass.
    out.push(await measurePromQL({ name: q.name, failureCondition: q.failureCondition }, query, baseUrl));
  }
  return out;
}
