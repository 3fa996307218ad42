// Streak arithmetic on UTC calendar days ('YYYY-MM-DD'), kept pure so day boundaries can be
// tested with explicit dates. A streak continues when the previous claim was yesterday (UTC)
// and resets to 1 after a missed day.

const DAY_MS = 86_400_000;

/** What the last claim left behind; lastDay is null for a user who never claimed. */
export interface StreakState {
  days: number;
  lastDay: string | null;
}

export const NO_STREAK: StreakState = { days: 0, lastDay: null };

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS));
}

export function claimedToday(state: StreakState, now: Date): boolean {
  return state.lastDay === utcDay(now);
}

/** The streak as shown now: 0 once a day has been missed, even before the next claim resets it. */
export function currentStreak(state: StreakState, now: Date): number {
  const today = utcDay(now);
  return state.lastDay === today || state.lastDay === addDays(today, -1) ? state.days : 0;
}

/** The streak a claim made now would have. Callers refuse a second claim on the same day first. */
export function nextStreak(state: StreakState, now: Date): number {
  return state.lastDay === addDays(utcDay(now), -1) ? state.days + 1 : 1;
}

/** Grows by 50 a day for a week, then stays at 400. */
export function rewardAmount(streakDays: number): number {
  return 100 + 50 * (Math.min(Math.max(streakDays, 1), 7) - 1);
}

/**
 * When the next claim opens: the start of the next UTC day after a claim today, otherwise now
 * (a nextClaimAt at or before the current time means "you can claim").
 */
export function nextClaimAt(state: StreakState, now: Date): string {
  return claimedToday(state, now) ? `${addDays(utcDay(now), 1)}T00:00:00.000Z` : now.toISOString();
}
