// The narrow interface a router backend implements to run the shared contract suite.
// The Node router implements it in-process; a later HAProxy driver renders a config and
// reloads HAProxy behind the same five calls.
import type { RouterMetricsSnapshot, RouterStateInput } from '@cc/contracts';

export interface RouterDriverSetup {
  /** The state to route with from the start (targets are already listening). */
  initialState: RouterStateInput;
  /** The pin token the backend must accept in X-CC-Pin-Token. */
  pinToken: string;
  /** Health-check timing the backend should use, so tests can wait on it. */
  health: { intervalMs: number; timeoutMs: number; rise: number; fall: number };
}

export interface RouterDriver {
  /** Public base URL without a trailing slash, e.g. http://127.0.0.1:40123. */
  readonly baseUrl: string;
  /** Replaces the whole state; resolves once new requests are routed by it. */
  applyState(state: RouterStateInput): Promise<void>;
  /** Per-version counts since the backend started. */
  readMetrics(): Promise<RouterMetricsSnapshot>;
  /** Stops the backend and releases its ports. */
  stop(): Promise<void>;
}

export type RouterDriverFactory = (setup: RouterDriverSetup) => Promise<RouterDriver>;
