import { cryptoRandom, type RandomInt } from './random.js';

// Rock-paper-scissors against a house that draws its move uniformly and independently of the
// player's choice: the player's move is not an input to the draw at all.

export const RPS_CHOICES = ['rock', 'paper', 'scissors'] as const;
export type RpsChoice = (typeof RPS_CHOICES)[number];
export type RpsResult = 'win' | 'draw' | 'lose';

/** Multiplier of the bet paid back for each result: a win doubles, a draw returns the bet. */
export const RPS_PAYS: Readonly<Record<RpsResult, number>> = { win: 2, draw: 1, lose: 0 };

export const RPS_MIN_BET = 1;
export const RPS_MAX_BET = 1000;

const BEATS: Readonly<Record<RpsChoice, RpsChoice>> = { rock: 'scissors', paper: 'rock', scissors: 'paper' };

export function rpsResult(choice: RpsChoice, house: RpsChoice): RpsResult {
  if (choice === house) return 'draw';
  return BEATS[choice] === house ? 'win' : 'lose';
}

export interface RpsOutcome {
  choice: RpsChoice;
  houseChoice: RpsChoice;
  result: RpsResult;
  payout: number;
}

export function playRps(bet: number, choice: RpsChoice, rng: RandomInt = cryptoRandom): RpsOutcome {
  const houseChoice = RPS_CHOICES[rng(RPS_CHOICES.length)]!;
  const result = rpsResult(choice, houseChoice);
  return { choice, houseChoice, result, payout: bet * RPS_PAYS[result] };
}

export interface RpsOdds {
  houseChoice: { choice: RpsChoice; probability: number }[];
  results: { result: RpsResult; multiplier: number; probability: number }[];
  rtp: number;
}

/** Exact odds for any player choice (they are the same for all three, by symmetry of the draw). */
export function rpsOdds(): RpsOdds {
  const p = 1 / RPS_CHOICES.length;
  const prob: Record<RpsResult, number> = { win: 0, draw: 0, lose: 0 };
  for (const house of RPS_CHOICES) prob[rpsResult('rock', house)] += p;
  const results = (['win', 'draw', 'lose'] as const).map((result) => ({ result, multiplier: RPS_PAYS[result], probability: prob[result] }));
  return {
    houseChoice: RPS_CHOICES.map((choice) => ({ choice, probability: p })),
    results,
    rtp: results.reduce((s, r) => s + r.multiplier * r.probability, 0),
  };
}
