import { CcrError } from '../errors.js';
import type { CcPaths } from '../paths.js';
import type { InstanceController, InstanceInfo, StartOptions } from '../supervisor/types.js';
import type { RuntimeStatus } from './status.js';
import { readRuntime } from './runtime-state.js';
import { readSecret } from './secrets.js';
import { reaching, refused, unreachable, type WaitPolicy } from './wait-reachable.js';

// The InstanceController of a running `ccr up`, reached over its loopback control API.
// `SupervisorClient.connect(paths)` finds it through .cc/runtime/runtime.json.

export class SupervisorClient implements InstanceController {
  constructor(
    private readonly base: string | (() => string),
    private readonly token: string,
    private readonly wait?: WaitPolicy,
  ) {}

  get baseUrl(): string {
    return typeof this.base === 'string' ? this.base : this.base();
  }

  /**
   * Throws not_found when no runtime is running (start one with `ccr up`). With `wait`, the
   * control API is found again in runtime.json before every attempt and retried until the
   * deadline while the runtime restarts.
   */
  static connect(paths: CcPaths, wait?: WaitPolicy): SupervisorClient {
    const rt = readRuntime(paths);
    const token = readSecret(paths.runtime, 'control-token');
    if (!rt?.controlUrl || !token) throw new CcrError('not_found', 'no local runtime is running; start it with `npx ccr up --detach`');
    const first = rt.controlUrl;
    return new SupervisorClient(wait ? () => readRuntime(paths)?.controlUrl ?? first : first, token, wait);
  }

  async start(version: string, count: number, opts: StartOptions = {}): Promise<InstanceInfo[]> {
    const body = { version, count, ...(opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {}) };
    return (await this.request<{ instances: InstanceInfo[] }>('POST', '/v1/instances', body, (opts.readyTimeoutMs ?? 60_000) + 30_000)).instances;
  }

  async list(): Promise<InstanceInfo[]> {
    return (await this.request<{ instances: InstanceInfo[] }>('GET', '/v1/instances')).instances;
  }

  async stop(id: string): Promise<void> {
    await this.request('DELETE', `/v1/instances/${encodeURIComponent(id)}`, undefined, 60_000);
  }

  async stopVersion(version: string): Promise<InstanceInfo[]> {
    return (await this.request<{ stopped: InstanceInfo[] }>('POST', `/v1/versions/${encodeURIComponent(version)}/stop`, {}, 60_000)).stopped;
  }

  status(): Promise<RuntimeStatus> {
    return this.request<RuntimeStatus>('GET', '/v1/status');
  }

  async setActiveVersion(version: string): Promise<void> {
    await this.request('PUT', '/v1/active-version', { version });
  }

  /** Asks the runtime to restart what is down now; resolves with what it did. */
  async repair(): Promise<string[]> {
    return (await this.request<{ repaired: string[] }>('POST', '/v1/repair', {}, 60_000)).repaired;
  }

  /** Asks the runtime to stop everything and exit; returns at once (poll its pid). */
  async shutdown(): Promise<void> {
    await this.request('POST', '/v1/shutdown', {});
  }

  private request<T>(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    // Reads are repeated after any failure to reach the runtime; writes only when the
    // connection was refused (the request never arrived), so nothing is started twice.
    const retryable = (err: unknown) => unreachable(err) && (method === 'GET' || refused(err));
    return reaching("the runtime's control API", this.wait, () => this.requestOnce<T>(method, path, body, timeoutMs), retryable);
  }

  private async requestOnce<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    let res: Response;
    const baseUrl = this.baseUrl;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CcrError('supervisor_failed', `the runtime's control API at ${baseUrl} is unreachable (${method} ${path})`, { cause: err, details: { unreachable: true } });
    }
    const json = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null;
    if (!res.ok) {
      const code = json?.error?.code;
      const known = code === 'not_found' || code === 'usage' || code === 'conflict' || code === 'instance_not_ready' || code === 'artifact_invalid' ? code : 'supervisor_failed';
      throw new CcrError(known, json?.error?.message ?? `control API ${method} ${path} answered ${res.status}`, { details: { status: res.status, ...(json?.error?.details ?? {}) } });
    }
    return json as T;
  }
}
