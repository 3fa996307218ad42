import { z } from 'zod';
import type { Release } from '../store/index.js';
import { readState } from './state.js';

// Blue/green's durable progress (release.data.blueGreen): the stage reached, so a resumed
// controller neither restarts green nor switches twice.

export const BLUE_GREEN_KEY = 'blueGreen';
export const BLUE_GREEN_STAGES = ['start', 'smoke', 'switch', 'done'] as const;

export const blueGreenState = z.object({
  stage: z.enum(BLUE_GREEN_STAGES),
  /** When the switch happened (ISO), for the status and the report. */
  switchedAt: z.string().optional(),
});
export type BlueGreenState = z.infer<typeof blueGreenState>;

export const readBlueGreen = (r: Pick<Release, 'id' | 'data'>): BlueGreenState | null => readState(r, BLUE_GREEN_KEY, blueGreenState);
