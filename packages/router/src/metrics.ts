// Per service+version request metrics for canary analysis. The hot path only bumps plain
// numbers on a VersionStats object cached on each target (no label hashing per request);
// prom-client reads them at scrape time.
import client from 'prom-client';
import type { RouterMetricsSnapshot, RouterServiceName, RouterStatusClass, RouterVersionMetrics } from '@cc/contracts';

/** Upper bounds in seconds; fine below 25 ms because proxy overhead lives there. */
export const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class VersionStats {
  readonly service: RouterServiceName;
  readonly version: string;
  s2xx = 0;
  s3xx = 0;
  s4xx = 0;
  s5xx = 0;
  upstreamErrors = 0;
  latencySum = 0;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_S.length + 1);

  constructor(service: RouterServiceName, version: string) {
    this.service = service;
    this.version = version;
  }

  record(status: number, seconds: number): void {
    if (status < 300) this.s2xx++;
    else if (status < 400) this.s3xx++;
    else if (status < 500) this.s4xx++;
    else this.s5xx++;
    this.latencySum += seconds;
    let i = 0;
    const n = LATENCY_BUCKETS_S.length;
    while (i < n && seconds > LATENCY_BUCKETS_S[i]!) i++;
    this.buckets[i]!++;
  }

  get total(): number {
    return this.s2xx + this.s3xx + this.s4xx + this.s5xx;
  }

  /** Quantile estimate in seconds by linear interpolation inside the histogram bucket. */
  quantile(q: number): number | null {
    const total = this.total;
    if (total === 0) return null;
    const rank = q * total;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const c = this.buckets[i]!;
      if (c > 0 && seen + c >= rank) {
        const lower = i === 0 ? 0 : LATENCY_BUCKETS_S[i - 1]!;
        // Above the last bound there is no upper edge; report the last bound.
        const upper = LATENCY_BUCKETS_S[i] ?? lower;
        return lower + (upper - lower) * ((rank - seen) / c);
      }
      seen += c;
    }
    return LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1]!;
  }
}

type Labels = Record<string, string | number>;

const HISTOGRAM_NAME = 'cc_router_request_duration_seconds';
const HISTOGRAM_HELP = 'Request latency through the router by service and version';
type HistogramData = Awaited<ReturnType<client.Histogram<string>['get']>>;

/**
 * A histogram whose values come from VersionStats instead of observe(). prom-client's
 * typings describe `type` as an enum while the runtime uses the string, hence the cast.
 */
class StatsHistogram extends client.Histogram<string> {
  constructor(private readonly source: () => Iterable<VersionStats>) {
    super({ name: HISTOGRAM_NAME, help: HISTOGRAM_HELP, labelNames: ['service', 'version'], buckets: LATENCY_BUCKETS_S, registers: [] });
  }

  // The registry calls this (not get()) when rendering the text format.
  async getForPromString(): Promise<HistogramData> {
    const values: Array<{ labels: Labels; value: number; metricName: string }> = [];
    for (const s of this.source()) {
      const base = { service: s.service, version: s.version };
      let acc = 0;
      LATENCY_BUCKETS_S.forEach((le, i) => {
        acc += s.buckets[i]!;
        values.push({ labels: { ...base, le }, value: acc, metricName: `${HISTOGRAM_NAME}_bucket` });
      });
      values.push({ labels: { ...base, le: '+Inf' }, value: s.total, metricName: `${HISTOGRAM_NAME}_bucket` });
      values.push({ labels: base, value: s.latencySum, metricName: `${HISTOGRAM_NAME}_sum` });
      values.push({ labels: base, value: s.total, metricName: `${HISTOGRAM_NAME}_count` });
    }
    return { name: HISTOGRAM_NAME, help: HISTOGRAM_HELP, type: 'histogram', values, aggregator: 'sum' } as unknown as HistogramData;
  }

  override async get(): Promise<HistogramData> {
    return this.getForPromString();
  }
}

export class RouterMetrics {
  readonly registry = new client.Registry();
  private readonly stats = new Map<string, VersionStats>();

  constructor(stateVersion: () => number, drainingTargets: () => number) {
    const all = () => this.stats.values();
    const classes: Array<[RouterStatusClass, (s: VersionStats) => number]> = [
      ['2xx', (s) => s.s2xx],
      ['3xx', (s) => s.s3xx],
      ['4xx', (s) => s.s4xx],
      ['5xx', (s) => s.s5xx],
    ];
    new client.Counter({
      name: 'cc_router_requests_total',
      help: 'Requests answered through the router by service, version and status class',
      labelNames: ['service', 'version', 'code_class'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of all()) for (const [cls, get] of classes) this.inc({ service: s.service, version: s.version, code_class: cls }, get(s));
      },
    });
    new client.Counter({
      name: 'cc_router_upstream_errors_total',
      help: 'Failed attempts to reach an upstream (refused, reset, timeout) by service and version',
      labelNames: ['service', 'version'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of all()) this.inc({ service: s.service, version: s.version }, s.upstreamErrors);
      },
    });
    this.registry.registerMetric(new StatsHistogram(all) as client.Histogram<string>);
    new client.Gauge({
      name: 'cc_router_state_version',
      help: 'Compare-and-set version of the applied router state',
      registers: [this.registry],
      collect() {
        this.set(stateVersion());
      },
    });
    new client.Gauge({
      name: 'cc_router_draining_targets',
      help: 'Removed targets still finishing in-flight requests',
      registers: [this.registry],
      collect() {
        this.set(drainingTargets());
      },
    });
  }

  /** The stats object for a version, created on first use and kept for the process lifetime. */
  statsFor(service: RouterServiceName, version: string): VersionStats {
    const key = `${service}\u0000${version}`;
    let s = this.stats.get(key);
    if (!s) {
      s = new VersionStats(service, version);
      this.stats.set(key, s);
    }
    return s;
  }

  async prometheus(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  snapshot(): RouterMetricsSnapshot {
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e3);
    const versions: RouterVersionMetrics[] = [...this.stats.values()].map((s) => ({
      service: s.service,
      version: s.version,
      requests: { '2xx': s.s2xx, '3xx': s.s3xx, '4xx': s.s4xx, '5xx': s.s5xx },
      total: s.total,
      upstreamErrors: s.upstreamErrors,
      latencyMs: { p50: ms(s.quantile(0.5)), p95: ms(s.quantile(0.95)), p99: ms(s.quantile(0.99)) },
    }));
    return { at: new Date().toISOString(), versions };
  }
}
