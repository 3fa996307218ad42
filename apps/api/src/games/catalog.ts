import { gachaOdds, type GachaOdds } from './gacha.js';
import { RPS_MAX_BET, RPS_MIN_BET, rpsOdds, type RpsOdds } from './rps.js';
import { SLOTS_MAX_BET, SLOTS_MIN_BET, slotOdds, type SlotOdds } from './slots.js';

export type GameId = 'slots' | 'rps' | 'gacha';

export interface GameInfo {
  id: GameId;
  name: string;
  /** Bet limits in coins; null for gacha, which has fixed prices instead. */
  bet: { min: number; max: number } | null;
  odds: SlotOdds | RpsOdds | GachaOdds;
  /** Expected coins returned per coin wagered; null when a game returns items, not coins. */
  rtp: number | null;
}

/** The published catalog, derived from the tables the games draw from. Built once: it is pure. */
export const GAME_CATALOG: readonly GameInfo[] = (() => {
  const slots = slotOdds();
  const rps = rpsOdds();
  return [
    { id: 'slots', name: 'Slots', bet: { min: SLOTS_MIN_BET, max: SLOTS_MAX_BET }, odds: slots, rtp: slots.rtp },
    { id: 'rps', name: 'Rock Paper Scissors', bet: { min: RPS_MIN_BET, max: RPS_MAX_BET }, odds: rps, rtp: rps.rtp },
    { id: 'gacha', name: 'Gacha', bet: null, odds: gachaOdds(), rtp: null },
  ];
})();
