import { useState, type FormEvent } from 'react';
import type { SlotOdds, SpinResponse } from '../api/types.js';
import { BetField, checkBet } from '../components/bet-field.js';
import { ErrorText } from '../components/error-text.js';
import { coins, newIdempotencyKey, percent } from '../components/format.js';
import { loadGame } from '../components/games-catalog.js';
import { OddsSection } from '../components/odds-section.js';
import { PageTitle } from '../components/page-title.js';
import { PlayResult } from '../components/play-result.js';
import { useAction } from '../components/use-action.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

const label = (symbol: string) => symbol.charAt(0).toUpperCase() + symbol.slice(1);

export function SlotsPage() {
  const { api, setBalance } = useSession();
  const game = useLoad(() => loadGame(api, 'slots'), 'slots');
  const odds = game.data?.odds as SlotOdds | undefined;
  const [bet, setBet] = useState('10');
  const [last, setLast] = useState<{ bet: number; res: SpinResponse } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const spin = useAction(async (amount: number) => {
    const res = await api.request<SpinResponse>('POST', '/api/games/slots/spin', { body: { bet: amount }, idempotencyKey: newIdempotencyKey() });
    setLast({ bet: amount, res });
    setBalance(res.balance);
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const checked = checkBet(bet, game.data?.bet);
    if ('error' in checked) {
      setFormError(checked.error);
      return;
    }
    setFormError(null);
    void spin.run(checked.amount);
  };

  const won = last ? last.res.payout > 0 : false;
  return (
    <>
      <PageTitle title="Slots">Slots</PageTitle>
      <section className="card" aria-labelledby="play-heading">
        <h2 id="play-heading">Spin</h2>
        <div className="reels" aria-label={last ? `Reels: ${last.res.reels.map(label).join(', ')}` : 'Reels not spun yet'} role="img" data-testid="reels">
          {(last?.res.reels ?? ['?', '?', '?']).map((s, i) => (
            <span className={`reel reel-${s === '?' ? 'blank' : s}`} key={i}>
              {s === '?' ? '?' : label(s)}
            </span>
          ))}
        </div>
        <form onSubmit={onSubmit}>
          <BetField value={bet} onChange={setBet} limits={game.data?.bet ?? null} />
          <ErrorText message={formError ?? spin.error} />
          <button type="submit" disabled={spin.pending || !game.data}>
            {spin.pending ? 'Spinning…' : 'Spin'}
          </button>
        </form>
      </section>
      <PlayResult
        summary={last ? { playId: last.res.playId, bet: last.bet, payout: last.res.payout, balance: last.res.balance } : null}
        headline={won ? `You won ${coins(last!.res.payout)} coins!` : 'No win this time.'}
      />
      <OddsSection rtp={game.error ? null : odds?.rtp} note={game.error ?? undefined}>
        {odds ? (
          <table>
            <caption>Paytable: the best matching line pays; a spin pays anything {percent(odds.hitRate)} of the time.</caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col" className="num">Pays (× bet)</th>
                <th scope="col" className="num">Chance</th>
              </tr>
            </thead>
            <tbody>
              {odds.paytable.map((l) => (
                <tr key={l.line}>
                  <td>{l.description}</td>
                  <td className="num">{l.multiplier}×</td>
                  <td className="num">{percent(l.probability)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </OddsSection>
    </>
  );
}
