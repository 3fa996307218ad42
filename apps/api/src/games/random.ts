import { randomInt } from 'node:crypto';

/**
 * A source of uniform integers in [0, max). Games take one as a parameter so the statistical
 * tests can drive the same code the API runs; the API always passes `cryptoRandom`.
 */
export type RandomInt = (max: number) => number;

/** node:crypto's CSPRNG; randomInt rejects modulo bias internally. */
export const cryptoRandom: RandomInt = (max) => randomInt(max);

export interface Weighted<T> {
  value: T;
  weight: number;
}

/** Total weight of a table; every table in this folder uses positive integer weights. */
export function totalWeight<T>(table: readonly Weighted<T>[]): number {
  return table.reduce((sum, e) => sum + e.weight, 0);
}

/** Draws one entry with probability weight / total. One draw, nothing else decides the result. */
export function pickWeighted<T>(table: readonly Weighted<T>[], rng: RandomInt): T {
  let roll = rng(totalWeight(table));
  for (const e of table) {
    if (roll < e.weight) return e.value;
    roll -= e.weight;
  }
  // Unreachable while rng honours its contract; fail loudly rather than skew the odds.
  throw new RangeError('random value out of range for weighted table');
}
