import { useState, type FormEvent } from 'react';
import type { GachaOdds, GachaResponse } from '../api/types.js';
import { ErrorText } from '../components/error-text.js';
import { coins, newIdempotencyKey, percent } from '../components/format.js';
import { loadGame } from '../components/games-catalog.js';
import { OddsSection } from '../components/odds-section.js';
import { PageTitle } from '../components/page-title.js';
import { PlayResult } from '../components/play-result.js';
import { useAction } from '../components/use-action.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function GachaPage() {
  const { api, setBalance } = useSession();
  const game = useLoad(() => loadGame(api, 'gacha'), 'gacha');
  const odds = game.data?.odds as GachaOdds | undefined;
  const costs = odds?.costs ?? [];
  const [count, setCount] = useState(1);
  const [last, setLast] = useState<GachaResponse | null>(null);

  const pull = useAction(async (n: number) => {
    const res = await api.request<GachaResponse>('POST', '/api/games/gacha/pull', { body: { count: n }, idempotencyKey: newIdempotencyKey() });
    setLast(res);
    setBalance(res.balance);
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void pull.run(count);
  };

  return (
    <>
      <PageTitle title="Gacha">Gacha</PageTitle>
      <section className="card" aria-labelledby="play-heading">
        <h2 id="play-heading">Pull</h2>
        <form onSubmit={onSubmit}>
          <fieldset className="choices">
            <legend>How many pulls</legend>
            {(costs.length ? costs : [{ count: 1, cost: 0 }, { count: 10, cost: 0 }]).map((c) => (
              <label key={c.count} className="choice">
                <input type="radio" name="count" value={c.count} checked={count === c.count} onChange={() => setCount(c.count)} />
                <span>
                  {c.count === 1 ? '1 pull' : `${c.count} pulls`}
                  {c.cost ? ` · ${coins(c.cost)} coins` : ''}
                </span>
              </label>
            ))}
          </fieldset>
          <ErrorText message={pull.error} />
          <button type="submit" disabled={pull.pending || !game.data}>
            {pull.pending ? 'Pulling…' : count === 1 ? 'Pull once' : `Pull ${count} times`}
          </button>
        </form>
      </section>
      <PlayResult betLabel="Cost" summary={last ? { playId: last.playId, bet: last.cost, payout: 0, balance: last.balance } : null} headline={last ? `You got ${last.items.length === 1 ? 'an item' : `${last.items.length} items`}:` : ''}>
        {last ? (
          <ul className="items" data-testid="gacha-items">
            {last.items.map((it, i) => (
              <li key={i} className={`rarity-${it.rarity}`}>
                <span className="rarity">{cap(it.rarity)}</span> {it.name}
              </li>
            ))}
          </ul>
        ) : null}
      </PlayResult>
      <OddsSection rtp={game.error ? null : odds ? null : undefined} note={game.error ?? 'Pulls give collectible items, not coins, so there is no return to player. Every pull is drawn on its own: no pity counter, and your spending never changes the odds.'}>
        {odds ? (
          <table>
            <caption>Chance of each rarity per pull; items within a rarity are equally likely.</caption>
            <thead>
              <tr>
                <th scope="col">Rarity</th>
                <th scope="col">Chance</th>
                <th scope="col">Items</th>
              </tr>
            </thead>
            <tbody>
              {odds.rarities.map((r) => (
                <tr key={r.rarity}>
                  <td>{cap(r.rarity)}</td>
                  <td>{percent(r.probability)}</td>
                  <td>{r.items.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </OddsSection>
    </>
  );
}
