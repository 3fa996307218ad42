import { cryptoRandom, pickWeighted, totalWeight, type RandomInt, type Weighted } from './random.js';

// Gacha pulls cost a fixed price and draw each item independently from published rarity
// weights. There is no pity counter and nothing about the player (history, spending) changes
// the odds. Items are cosmetic collectibles, so no coins come back: there is no RTP to publish.

export const GACHA_RARITIES = ['common', 'rare', 'epic', 'legendary'] as const;
export type GachaRarity = (typeof GACHA_RARITIES)[number];

/** Weights out of 1000: 79% / 17% / 3.5% / 0.5%. */
export const GACHA_RARITY_WEIGHTS: readonly Weighted<GachaRarity>[] = [
  { value: 'common', weight: 790 },
  { value: 'rare', weight: 170 },
  { value: 'epic', weight: 35 },
  { value: 'legendary', weight: 5 },
];

/** Items within a rarity are equally likely. */
export const GACHA_ITEMS: Readonly<Record<GachaRarity, readonly string[]>> = {
  common: ['Copper Coin Charm', 'Paper Lantern', 'Lucky Pebble', 'Wooden Dice', 'Clover Sticker'],
  rare: ['Silver Horseshoe', 'Jade Frog', 'Neon Cherry Pin', 'Velvet Card Sleeve'],
  epic: ['Golden Slot Reel', 'Crystal Rock-Paper-Scissors Set', 'Phoenix Feather'],
  legendary: ['Diamond Seven', 'Dragon of Fortune'],
};

/** Coins per pull count; the 10-pull costs nine singles. */
export const GACHA_COST: Readonly<Record<1 | 10, number>> = { 1: 100, 10: 900 };
export type GachaCount = keyof typeof GACHA_COST;

export interface GachaItem {
  rarity: GachaRarity;
  name: string;
}

export function pullGacha(count: GachaCount, rng: RandomInt = cryptoRandom): { items: GachaItem[]; cost: number } {
  const items: GachaItem[] = [];
  for (let i = 0; i < count; i++) {
    const rarity = pickWeighted(GACHA_RARITY_WEIGHTS, rng);
    const names = GACHA_ITEMS[rarity];
    items.push({ rarity, name: names[rng(names.length)]! });
  }
  return { items, cost: GACHA_COST[count] };
}

export interface GachaOdds {
  rarities: { rarity: GachaRarity; weight: number; probability: number; items: string[] }[];
  costs: { count: GachaCount; cost: number }[];
  pity: false;
}

export function gachaOdds(): GachaOdds {
  const total = totalWeight(GACHA_RARITY_WEIGHTS);
  return {
    rarities: GACHA_RARITY_WEIGHTS.map((e) => ({ rarity: e.value, weight: e.weight, probability: e.weight / total, items: [...GACHA_ITEMS[e.value]] })),
    costs: [
      { count: 1, cost: GACHA_COST[1] },
      { count: 10, cost: GACHA_COST[10] },
    ],
    pity: false,
  };
}
