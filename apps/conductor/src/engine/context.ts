import type pg from 'pg';
import type { EnvironmentConfig, RolloutConfig } from '../config/index.js';
import type { Release, ReleasePatch } from '../store/index.js';

/** Progress events the CLI renders live (and --json streams to stderr when asked). */
export type ProgressEvent =
  | { type: 'step'; phase: string; step: string; title: string; status: string; reason: string; index: number; total: number }
  | { type: 'weights'; service: string; weights: Record<string, number> }
  | { type: 'verdict'; analysis: string; metric: string; verdict: string; value: number | null; baseline: number | null; threshold: number | null; sampleSize: number | null; reason: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type ProgressSink = (e: ProgressEvent) => void;

/**
 * The one context every step and strategy shares (the Argo Rollouts habit): configuration,
 * the persisted release, the store, and the ways to report. Targets and notifiers hang off it
 * through `services`, filled in by the command that starts the run.
 */
export interface RolloutContext<S = unknown> {
  readonly envName: string;
  readonly env: EnvironmentConfig;
  readonly config: RolloutConfig;
  readonly store: pg.Pool;
  readonly actor: string;
  readonly signal: AbortSignal;
  readonly progress: ProgressSink;
  /** Plugins (target, notifier, artifact store...) wired by the caller; see engine/services.ts. */
  readonly services: S;
  /** The release as last persisted. */
  release: Release;
  /** Persists a patch (data is merged) and refreshes `release`. */
  update(patch: ReleasePatch): Promise<Release>;
  audit(action: string, result: string, details?: Record<string, unknown>): Promise<void>;
}
