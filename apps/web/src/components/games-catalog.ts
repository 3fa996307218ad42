import type { ApiClient } from '../api/client.js';
import type { GameId, GameInfo } from '../api/types.js';

// The published odds change only with a release, so one fetch per page load is enough.
let catalog: Promise<GameInfo[]> | null = null;

export function loadGames(api: ApiClient): Promise<GameInfo[]> {
  catalog ??= api.request<GameInfo[] | { games: GameInfo[] }>('GET', '/api/games').then(
    (r) => (Array.isArray(r) ? r : r.games),
    (err: unknown) => {
      catalog = null; // let the next page try again
      throw err;
    },
  );
  return catalog;
}

export async function loadGame(api: ApiClient, id: GameId): Promise<GameInfo> {
  const game = (await loadGames(api)).find((g) => g.id === id);
  if (!game) throw new Error(`game ${id} is not in the catalog`);
  return game;
}
