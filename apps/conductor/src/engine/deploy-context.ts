import type { RolloutContext, RunServices } from './context.js';
import type { AppliedMigration, MigrateOptions } from '../runtime/migrate.js';
import type { Notifier } from '../notify/index.js';
import type { SmokeServices } from '../smoke/index.js';
import type { DeployTarget } from './deploy-target.js';

// What a deploy or a rollback wires into ctx.services (service/open-env.ts does it for ccr): the
// target, the artifacts, smoke tests and notifications, on top of what every run gets
// (RunServices: paths and the app's database). Each piece is a narrow interface so tests can
// give real routers and simple upstreams.

export interface ArtifactSource {
  /** Builds (or reuses) the artifact of a git ref; returns its version and commit. */
  build(ref: string, onProgress?: (line: string) => void): Promise<{ version: string; commit: string; built: boolean }>;
  /** Re-hashes an artifact against its manifest. */
  verify(version: string): Promise<{ ok: boolean; checked: number; problems: string[] }>;
  /** Whether an artifact exists locally. */
  has(version: string): boolean;
  /** Whether the artifact carries web assets (its manifest's web folder). */
  hasWeb(version: string): boolean;
  /** The artifact's pushed images pinned by digest (`ccr build --images`), or null when it has none. */
  images?(version: string): { api: string; web: string } | null;
  /** Applies the artifact's migrations (its own migrate CLI, under the migrator's advisory lock), with timeouts and lock_timeout retries. */
  migrate(version: string, opts?: MigrateOptions): Promise<{ applied: number; steps?: AppliedMigration[] }>;
}

export interface DeployServices extends RunServices {
  target: DeployTarget;
  artifacts: ArtifactSource;
  smoke?: SmokeServices;
  notifier?: Notifier;
  /** Instances per version (the local target's `instances`). */
  instances: number;
  /** Told when a version becomes the active one, so a restarted runtime starts it. */
  onPromoted?(version: string): Promise<void>;
  /** Low-traffic analysis: send about `requests` pinned requests to a version. */
  smokeTraffic?(version: string, requests: number): Promise<{ sent: number; failed: number }>;
}

export type DeployContext = RolloutContext<DeployServices>;

/** Release data keys the strategies share (persisted in releases.data). */
export interface SharedReleaseData {
  trafficMoved?: boolean;
  /** The stable version the release started from (null on a first deploy). */
  stable?: string | null;
  maintenanceOn?: boolean;
  /** Old version kept warm after a switch; stopped when due (strategies/scale-down.ts). */
  scaleDown?: { version: string; due: string; done?: boolean };
  /** Set by the claim of an `abort` control request: the executor rolls back (engine/apply-control.ts). */
  abort?: { by: string; requestId: number };
}

export function data(ctx: DeployContext): SharedReleaseData {
  return ctx.release.data as SharedReleaseData;
}
