import { cryptoRandom, pickWeighted, totalWeight, type RandomInt, type Weighted } from './random.js';

// Three independent reels with the same weighted strip. A spin is three draws and one lookup in
// the paytable: nothing else (no near-miss shaping, no dependence on the player or their
// spending) influences the result. The published odds and RTP are computed from these very
// tables by enumerating every reel combination, so they cannot drift from the game.

export const SLOT_SYMBOLS = ['cherry', 'lemon', 'bell', 'star', 'bar', 'seven'] as const;
export type SlotSymbol = (typeof SLOT_SYMBOLS)[number];

export const SLOT_REEL: readonly Weighted<SlotSymbol>[] = [
  { value: 'cherry', weight: 6 },
  { value: 'lemon', weight: 8 },
  { value: 'bell', weight: 7 },
  { value: 'star', weight: 5 },
  { value: 'bar', weight: 4 },
  { value: 'seven', weight: 2 },
];

/** Payout multipliers of the bet; the highest matching line pays, lines never add up. */
export const SLOT_THREE_OF_A_KIND: Readonly<Record<SlotSymbol, number>> = {
  cherry: 8,
  lemon: 5,
  bell: 10,
  star: 20,
  bar: 25,
  seven: 200,
};
/** Any two cherries (not three); a single cherry returns the bet. */
export const SLOT_CHERRY_PAYS: Readonly<Record<1 | 2, number>> = { 2: 2, 1: 1 };

export const SLOTS_MIN_BET = 1;
export const SLOTS_MAX_BET = 1000;

export type Reels = [SlotSymbol, SlotSymbol, SlotSymbol];

export interface SlotLine {
  /** Stable id of the paytable line, e.g. "three_seven" or "two_cherry". */
  line: string;
  multiplier: number;
}

/** The paytable line a set of reels hits, or null for a loss. */
export function slotLine(reels: Reels): SlotLine | null {
  const [a, b, c] = reels;
  if (a === b && b === c) return { line: `three_${a}`, multiplier: SLOT_THREE_OF_A_KIND[a] };
  const cherries = reels.filter((s) => s === 'cherry').length;
  if (cherries === 2 || cherries === 1) return { line: cherries === 2 ? 'two_cherry' : 'one_cherry', multiplier: SLOT_CHERRY_PAYS[cherries] };
  return null;
}

export interface SpinResult {
  reels: Reels;
  line: string | null;
  multiplier: number;
  payout: number;
}

export function spinSlots(bet: number, rng: RandomInt = cryptoRandom): SpinResult {
  const reels: Reels = [pickWeighted(SLOT_REEL, rng), pickWeighted(SLOT_REEL, rng), pickWeighted(SLOT_REEL, rng)];
  const hit = slotLine(reels);
  const multiplier = hit?.multiplier ?? 0;
  return { reels, line: hit?.line ?? null, multiplier, payout: bet * multiplier };
}

export interface SlotOdds {
  reel: { symbol: SlotSymbol; weight: number; probability: number }[];
  paytable: { line: string; description: string; multiplier: number; probability: number }[];
  /** Probability that a spin pays anything (including a single cherry returning the bet). */
  hitRate: number;
  /** Expected payout per coin bet. */
  rtp: number;
  /** Variance of the multiplier; the statistical test sizes its tolerance with it. */
  variance: number;
}

const PLURALS: Readonly<Record<SlotSymbol, string>> = { cherry: 'cherries', lemon: 'lemons', bell: 'bells', star: 'stars', bar: 'bars', seven: 'sevens' };
function plural(symbol: SlotSymbol): string {
  return PLURALS[symbol];
}

/** Exact odds by enumerating all combinations of the three reels. */
export function slotOdds(): SlotOdds {
  const total = totalWeight(SLOT_REEL);
  const byLine = new Map<string, { multiplier: number; probability: number }>();
  let rtp = 0;
  let second = 0;
  let hitRate = 0;
  for (const a of SLOT_REEL) {
    for (const b of SLOT_REEL) {
      for (const c of SLOT_REEL) {
        const p = (a.weight * b.weight * c.weight) / total ** 3;
        const hit = slotLine([a.value, b.value, c.value]);
        if (!hit) continue;
        const prev = byLine.get(hit.line) ?? { multiplier: hit.multiplier, probability: 0 };
        prev.probability += p;
        byLine.set(hit.line, prev);
        rtp += p * hit.multiplier;
        second += p * hit.multiplier ** 2;
        hitRate += p;
      }
    }
  }
  const describe = (line: string) =>
    line === 'two_cherry' ? 'any two cherries' : line === 'one_cherry' ? 'exactly one cherry (bet returned)' : `three ${plural(line.slice('three_'.length) as SlotSymbol)}`;
  return {
    reel: SLOT_REEL.map((e) => ({ symbol: e.value, weight: e.weight, probability: e.weight / total })),
    paytable: [...byLine.entries()]
      .map(([line, v]) => ({ line, description: describe(line), multiplier: v.multiplier, probability: v.probability }))
      .sort((x, y) => y.multiplier - x.multiplier),
    hitRate,
    rtp,
    variance: second - rtp ** 2,
  };
}
