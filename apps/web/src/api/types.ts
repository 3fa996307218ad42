// Response shapes of the API contract (issue 2). The web app never imports API code, so the
// shapes it relies on are written down here; the e2e tests run them against the real API.

export interface AuthResponse {
  user: { id: string; nickname: string };
  accessToken: string;
}

export interface Me {
  id: string;
  nickname: string;
  balance: number;
  streak: { days: number; nextClaimAt: string | null };
  createdAt: string;
}

export interface SlotOdds {
  reel: { symbol: string; weight: number; probability: number }[];
  paytable: { line: string; description: string; multiplier: number; probability: number }[];
  hitRate: number;
  rtp: number;
}

export interface RpsOdds {
  houseChoice: { choice: string; probability: number }[];
  results: { result: string; multiplier: number; probability: number }[];
  rtp: number;
}

export interface GachaOdds {
  rarities: { rarity: string; weight: number; probability: number; items: string[] }[];
  costs: { count: number; cost: number }[];
}

export type GameId = 'slots' | 'rps' | 'gacha';

export interface GameInfo {
  id: GameId;
  name: string;
  bet: { min: number; max: number } | null;
  odds: SlotOdds | RpsOdds | GachaOdds;
  rtp: number | null;
}

export interface SpinResponse {
  playId: string;
  reels: string[];
  payout: number;
  balance: number;
}

export type RpsChoice = 'rock' | 'paper' | 'scissors';

export interface RpsResponse {
  playId: string;
  choice: RpsChoice;
  houseChoice: RpsChoice;
  result: 'win' | 'draw' | 'lose';
  payout: number;
  balance: number;
}

export interface GachaResponse {
  playId: string;
  items: { rarity: string; name: string }[];
  cost: number;
  balance: number;
}

export interface DailyRewardResponse {
  amount: number;
  streakDays: number;
  balance: number;
  nextClaimAt: string;
}

export interface LedgerEntry {
  id: string | number;
  kind: string;
  amount: number;
  balanceAfter: number;
  refId: string | null;
  createdAt: string;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  nextCursor: string | null;
}

export type LeaderboardPeriod = 'day' | 'all';

export interface LeaderboardRow {
  rank: number;
  nickname: string;
  net: number;
}

export interface VersionInfo {
  version: string;
  commit: string;
  builtAt: string;
  schemaVersion: number | null;
}
