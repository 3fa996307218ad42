import type { GameInfo, LeaderboardRow, Me } from '../../api/types.js';
import { ErrorText } from '../../components/error-text.js';
import { coins, percent, signedCoins } from '../../components/format.js';
import { Link } from '../../router.js';

const GAME_PATHS = { slots: '/games/slots', rps: '/games/rps', gacha: '/games/gacha' } as const;

/** Balance and streak; fixed-size slots show "…" until the values arrive, so nothing jumps. */
export function StatsCard({ me }: { me: Me | null }) {
  return (
    <section className="card stats" aria-label="Your coins and streak">
      <div className="stat">
        <span className="stat-label">Balance</span>
        <span className="stat-value" data-testid="lobby-balance">
          {me ? coins(me.balance) : '…'}
        </span>
        <span className="stat-unit">coins</span>
      </div>
      <div className="stat">
        <span className="stat-label">Daily streak</span>
        <span className="stat-value" data-testid="lobby-streak">
          {me ? me.streak.days : '…'}
        </span>
        <span className="stat-unit">{me?.streak.days === 1 ? 'day' : 'days'}</span>
      </div>
    </section>
  );
}

/** The games with their published return to player and bet limits. */
export function GamesCard({ games, error }: { games: GameInfo[] | null; error: string | null }) {
  return (
    <section className="card" aria-labelledby="games-heading">
      <h2 id="games-heading">Games</h2>
      <ErrorText message={error} />
      <ul className="game-list">
        {(games ?? []).map((g) => (
          <li key={g.id}>
            <Link to={GAME_PATHS[g.id]} className="game-link">
              <span className="game-name">{g.name}</span>
              <span className="game-meta">
                {g.rtp !== null ? `Return to player ${percent(g.rtp)}` : 'Collectible items'}
                {g.bet ? ` · bets ${coins(g.bet.min)}–${coins(g.bet.max)}` : ''}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Today's top three. */
export function LeadersCard({ leaders, error }: { leaders: LeaderboardRow[] | null; error: string | null }) {
  return (
    <section className="card" aria-labelledby="leaders-heading">
      <h2 id="leaders-heading">Today’s leaders</h2>
      <ErrorText message={error} />
      <ol className="leaders" data-testid="lobby-leaders">
        {leaders?.length === 0 ? <li className="muted">Nobody has won anything today yet.</li> : null}
        {(leaders ?? []).map((r) => (
          <li key={r.rank}>
            <span>{r.nickname}</span> <span className={`num ${r.net >= 0 ? 'up' : 'down'}`}>{signedCoins(r.net)}</span>
          </li>
        ))}
      </ol>
      <Link to="/leaderboard">See the full leaderboard</Link>
    </section>
  );
}
