// The router's public interface, in a file of its own: router.ts builds it and the admin
// server serves it, so both depend on this file instead of on each other (no import cycle).
import type {
  RouterMaintenanceToggle,
  RouterMetricsSnapshot,
  RouterState,
  RouterStateDocument,
  RouterStateInput,
  RouterTargetStatus,
} from '@cc/contracts';

export interface Router {
  /** Binds both servers; resolves with the actual ports (useful with port 0). */
  listen(): Promise<{ port: number; adminPort: number }>;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), closes pools. */
  close(graceMs?: number): Promise<void>;
  getState(): RouterStateDocument;
  /**
   * Validates, persists and applies a whole new state. With `expectedVersion`, fails with
   * RouterError('version_conflict') when the state changed since that version was read.
   */
  setState(state: RouterStateInput | RouterState, expectedVersion?: number): Promise<RouterStateDocument>;
  setMaintenance(toggle: RouterMaintenanceToggle, expectedVersion?: number): Promise<RouterStateDocument>;
  metrics(): RouterMetricsSnapshot;
  prometheus(): Promise<{ contentType: string; body: string }>;
  /** Removed targets still draining, by id (for tests and status). */
  drainingTargets(): string[];
  /** Every known target with its live health, ejection, in-flight and drain facts. */
  targets(): RouterTargetStatus[];
  readonly port: number;
  readonly adminPort: number;
}
