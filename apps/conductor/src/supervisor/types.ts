// The narrow surface the conductor engine drives instances through. The in-process
// Supervisor implements it, and so does SupervisorClient, which reaches the Supervisor of a
// running `ccr up` over its loopback control API; a later HAProxy or Kubernetes target would
// provide its own implementation.

export type InstanceState =
  /** Spawned, not yet answering /health/ready with 200. */
  | 'starting'
  | 'ready'
  /** Exited on its own; a restart is scheduled with backoff. */
  | 'crashed'
  | 'stopping';

export interface InstanceInfo {
  /** Unique, stable across restarts of the instance; usable as a router target id. */
  id: string;
  version: string;
  port: number;
  /** The loopback port of its GET /metrics (never routed); null when unknown. */
  metricsPort: number | null;
  /** http://127.0.0.1:PORT, the router target URL. */
  url: string;
  pid: number | null;
  state: InstanceState;
  /** Restarts after crashes since the instance was first started. */
  restarts: number;
  startedAt: string;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  logFile: string;
}

export interface StartOptions {
  /** How long each instance may take to answer /health/ready with 200 (default 60 s). */
  readyTimeoutMs?: number;
}

export interface InstanceController {
  /**
   * Starts `count` new instances of an artifact version, each on a free loopback port, and
   * resolves once every one answers GET /health/ready with 200. If one does not within the
   * timeout, all instances of this call are stopped and it rejects (code instance_not_ready,
   * with the tail of the instance log in the message).
   */
  start(version: string, count: number, opts?: StartOptions): Promise<InstanceInfo[]>;
  /** Every instance the supervisor manages, in start order. */
  list(): Promise<InstanceInfo[]>;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  stop(id: string): Promise<void>;
  /** Stops every instance of a version; resolves with those it stopped. */
  stopVersion(version: string): Promise<InstanceInfo[]>;
}
