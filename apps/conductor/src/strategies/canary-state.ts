import { z } from 'zod';
import type { AnalysisState } from '../analysis/analysis-step.js';
import type { Release } from '../store/index.js';
import { readState } from './state.js';

// The canary's durable progress (release.data.canary): which configured step it is at, the
// weight the router was given, a running pause's end and a running analysis. `promote` is
// written by the claim of a `promote` control request (engine/apply-control.ts) and read by
// the canary at its next reconcile.

export const CANARY_KEY = 'canary';

export const canaryState = z.object({
  // defaults: a promote can be claimed before the canary step has saved its first state
  index: z.number().int().min(0).default(0),
  weight: z.number().min(0).max(100).default(0),
  /** Set while a {pause} or a weight's pause runs: epoch ms when it ends. */
  pauseUntil: z.number().optional(),
  analysis: z.custom<AnalysisState>((v) => typeof v === 'object' && v !== null).optional(),
  promote: z.object({ by: z.string(), requestId: z.number().int() }).optional(),
});
export type CanaryState = z.infer<typeof canaryState>;

export const readCanary = (r: Pick<Release, 'id' | 'data'>): CanaryState | null => readState(r, CANARY_KEY, canaryState);
