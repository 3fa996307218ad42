import { z } from 'zod';
import type { Release } from '../store/index.js';
import { readState } from './state.js';

// Rolling derives every round from what runs (so it needs no state to resume); this records
// how far it got, for the status and the phase's reason.

export const ROLLING_KEY = 'rolling';

export const rollingState = z.object({
  /** Instances of the old version replaced so far. */
  replaced: z.number().int().min(0),
  /** Instances of the new version wanted. */
  of: z.number().int().min(0),
});
export type RollingState = z.infer<typeof rollingState>;

export const readRolling = (r: Pick<Release, 'id' | 'data'>): RollingState | null => readState(r, ROLLING_KEY, rollingState);
