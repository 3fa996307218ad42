import { useState } from 'react';
import type { LeaderboardPeriod, LeaderboardRow } from '../api/types.js';
import { ErrorText } from '../components/error-text.js';
import { signedCoins } from '../components/format.js';
import { PageTitle } from '../components/page-title.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

const PERIODS: { value: LeaderboardPeriod; label: string }[] = [
  { value: 'day', label: 'Today' },
  { value: 'all', label: 'All time' },
];

export function LeaderboardPage() {
  const { api, me } = useSession();
  const [period, setPeriod] = useState<LeaderboardPeriod>('day');
  const board = useLoad(
    () =>
      api
        .request<LeaderboardRow[] | { entries: LeaderboardRow[] }>('GET', `/api/leaderboard?period=${period}`)
        .then((r) => (Array.isArray(r) ? r : r.entries)),
    period,
  );
  const rows = board.data ?? [];

  return (
    <>
      <PageTitle title="Leaderboard">Leaderboard</PageTitle>
      <section className="card" aria-labelledby="board-heading">
        <h2 id="board-heading">Top 50 by net winnings</h2>
        <div className="segmented" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.value} type="button" className="secondary" aria-pressed={period === p.value} onClick={() => setPeriod(p.value)}>
              {p.label}
            </button>
          ))}
        </div>
        <ErrorText message={board.error} />
        <div className="table-wrap">
          <table aria-busy={board.loading} data-testid="leaderboard">
            <caption className="visually-hidden">{PERIODS.find((p) => p.value === period)?.label} leaderboard</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Rank
                </th>
                <th scope="col">Player</th>
                <th scope="col" className="num">
                  Net winnings
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.rank}-${r.nickname}`} className={r.nickname === me?.nickname ? 'me' : undefined}>
                  <td className="num">{r.rank}</td>
                  <td>
                    {r.nickname}
                    {r.nickname === me?.nickname ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td className={`num ${r.net >= 0 ? 'up' : 'down'}`}>{signedCoins(r.net)}</td>
                </tr>
              ))}
              {!board.loading && rows.length === 0 && !board.error ? (
                <tr>
                  <td colSpan={3}>Nobody has played in this period yet.</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
