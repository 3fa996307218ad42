import type pg from 'pg';
import type { EnvironmentConfig, RolloutConfig } from '../config/index.js';
import type { CcPaths } from '../paths.js';
import type { Actor, Release, ReleasePatch } from '../store/index.js';

/** Progress events the CLI renders live (and --json streams to stderr when asked). */
export type ProgressEvent =
  | { type: 'step'; phase: string; step: string; title: string; status: string; reason: string; index: number; total: number }
  | { type: 'weights'; service: string; weights: Record<string, number> }
  | { type: 'verdict'; analysis: string; metric: string; verdict: string; value: number | null; baseline: number | null; threshold: number | null; sampleSize: number | null; reason: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type ProgressSink = (e: ProgressEvent) => void;

/**
 * What every run is given, whatever its steps: no step, gate, hypercare or report code looks
 * these up itself, so a test (or a controller serving several projects) decides them.
 */
export interface RunServices {
  /** Where local state lives: artifacts, reports, backups, the local runtime's files. */
  readonly paths: CcPaths;
  /** The application's database (backups, migration lint and rehearsal); null when none is known. */
  readonly databaseUrl: string | null;
}

/**
 * The one context every step and strategy shares (the Argo Rollouts habit): configuration,
 * the persisted release, the store, and the ways to report. Paths, the app's database, and
 * for a deploy the target and notifiers hang off it through `services`, filled in once by the
 * command that starts the run (engine/deploy-context.ts is what a deploy wires).
 */
export interface RolloutContext<S extends RunServices = RunServices> {
  readonly envName: string;
  readonly env: EnvironmentConfig;
  readonly config: RolloutConfig;
  readonly store: pg.Pool;
  /** The identity driving the run (audit rows' actor). */
  readonly actor: string;
  /** The same with its channel: the CLI in-process, or the controller. */
  readonly by: Actor;
  readonly signal: AbortSignal;
  readonly progress: ProgressSink;
  /** Paths, the app's database and plugins (target, notifier, artifacts...) wired by the caller. */
  readonly services: S;
  /** The release as last persisted. */
  release: Release;
  /** Persists a patch (data is merged in SQL, top-level keys) and refreshes `release`. */
  update(patch: ReleasePatch): Promise<Release>;
  /** Merges a patch into one key of release.data (a strategy's typed state) in SQL; null clears a field. */
  updateState(key: string, patch: Record<string, unknown>): Promise<Release>;
  audit(action: string, result: string, details?: Record<string, unknown>): Promise<void>;
}
