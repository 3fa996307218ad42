import type {
  RouterMaintenanceToggle,
  RouterMetricsSnapshot,
  RouterStateDocument,
  RouterStateInput,
  RouterTargetStatus,
} from '@cc/contracts';
import { CcrError } from '../errors.js';
import { reaching, type WaitPolicy } from './wait-reachable.js';

// Client of the router's admin API (loopback, bearer token). Every state change is a
// compare-and-set on the state's version number: a 409 surfaces as CcrError('router_failed')
// with details.status 409, and updateState() re-reads and retries on it.

export class RouterAdminClient {
  /**
   * `baseUrl` may be a function, read again before every attempt: after `ccr down && ccr up`
   * the router may listen elsewhere. With `wait`, an unreachable admin API is retried until
   * its deadline (a restart in progress) instead of failing at once.
   */
  constructor(
    private readonly base: string | (() => string),
    private readonly token: string,
    private readonly timeoutMs = 10_000,
    private readonly wait?: WaitPolicy,
  ) {}

  get baseUrl(): string {
    return typeof this.base === 'string' ? this.base : this.base();
  }

  getState(): Promise<RouterStateDocument> {
    return this.request<RouterStateDocument>('GET', '/admin/state');
  }

  /** Replaces the whole state if it is still at expectedVersion (409 otherwise). */
  putState(state: RouterStateInput, expectedVersion: number): Promise<RouterStateDocument> {
    return this.request<RouterStateDocument>('PUT', '/admin/state', { expectedVersion, state });
  }

  /**
   * Read-modify-write with compare-and-set, retried when another writer got in between.
   * Returning the current state object unchanged skips the write.
   */
  async updateState(change: (current: RouterStateDocument) => RouterStateInput, attempts = 5): Promise<RouterStateDocument> {
    for (let i = 1; ; i++) {
      const current = await this.getState();
      const next = change(current);
      if (next === current.state) return current; // nothing to change
      try {
        return await this.putState(next, current.version);
      } catch (err) {
        if (i >= attempts || !(err instanceof CcrError) || err.details?.['status'] !== 409) throw err;
      }
    }
  }

  setMaintenance(toggle: RouterMaintenanceToggle & { expectedVersion?: number }): Promise<RouterStateDocument> {
    return this.request<RouterStateDocument>('POST', '/admin/maintenance', toggle);
  }

  /** Per service and version request counts, status classes, latency and upstream errors. */
  metrics(): Promise<RouterMetricsSnapshot> {
    return this.request<RouterMetricsSnapshot>('GET', '/admin/metrics.json');
  }

  async targets(): Promise<RouterTargetStatus[]> {
    return (await this.request<{ targets: RouterTargetStatus[] }>('GET', '/admin/targets')).targets;
  }

  /** Prometheus text of the same metrics. */
  async prometheus(): Promise<string> {
    return this.request<string>('GET', '/metrics', undefined, true);
  }

  private request<T>(method: string, path: string, body?: unknown, text = false): Promise<T> {
    // Every write is a compare-and-set or idempotent, so repeating one whose answer was lost is safe.
    return reaching('router admin API', this.wait, () => this.requestOnce<T>(method, path, body, text));
  }

  private async requestOnce<T>(method: string, path: string, body: unknown, text: boolean): Promise<T> {
    let res: Response;
    const baseUrl = this.baseUrl;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new CcrError('router_failed', `router admin API at ${baseUrl} is unreachable (${method} ${path})`, { cause: err, details: { unreachable: true } });
    }
    const raw = await res.text();
    if (!res.ok) {
      let code = 'http_error';
      let message = raw.slice(0, 300);
      try {
        const e = (JSON.parse(raw) as { error?: { code?: string; message?: string } }).error;
        code = e?.code ?? code;
        message = e?.message ?? message;
      } catch {
        // not JSON
      }
      throw new CcrError('router_failed', `router ${method} ${path} answered ${res.status}: ${message}`, { details: { status: res.status, code } });
    }
    return (text ? raw : JSON.parse(raw)) as T;
  }
}
