import { useState, type FormEvent } from 'react';
import type { RpsChoice, RpsOdds, RpsResponse } from '../api/types.js';
import { BetField, checkBet } from '../components/bet-field.js';
import { ErrorText } from '../components/error-text.js';
import { newIdempotencyKey, percent } from '../components/format.js';
import { loadGame } from '../components/games-catalog.js';
import { OddsSection } from '../components/odds-section.js';
import { PageTitle } from '../components/page-title.js';
import { PlayResult } from '../components/play-result.js';
import { useAction } from '../components/use-action.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

const CHOICES: { value: RpsChoice; label: string }[] = [
  { value: 'rock', label: 'Rock' },
  { value: 'paper', label: 'Paper' },
  { value: 'scissors', label: 'Scissors' },
];
const RESULT_WORDS = { win: 'You win!', draw: 'A draw: your bet comes back.', lose: 'The house wins this one.' } as const;
const name = (c: string) => CHOICES.find((x) => x.value === c)?.label ?? c;

export function RpsPage() {
  const { api, setBalance } = useSession();
  const game = useLoad(() => loadGame(api, 'rps'), 'rps');
  const odds = game.data?.odds as RpsOdds | undefined;
  const [bet, setBet] = useState('10');
  const [choice, setChoice] = useState<RpsChoice>('rock');
  const [last, setLast] = useState<{ bet: number; res: RpsResponse } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const play = useAction(async (amount: number, pick: RpsChoice) => {
    const res = await api.request<RpsResponse>('POST', '/api/games/rps/play', { body: { bet: amount, choice: pick }, idempotencyKey: newIdempotencyKey() });
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
    void play.run(checked.amount, choice);
  };

  return (
    <>
      <PageTitle title="Rock Paper Scissors">Rock Paper Scissors</PageTitle>
      <section className="card" aria-labelledby="play-heading">
        <h2 id="play-heading">Play</h2>
        <form onSubmit={onSubmit}>
          <fieldset className="choices">
            <legend>Your move</legend>
            {CHOICES.map((c) => (
              <label key={c.value} className="choice">
                <input type="radio" name="choice" value={c.value} checked={choice === c.value} onChange={() => setChoice(c.value)} />
                <span>{c.label}</span>
              </label>
            ))}
          </fieldset>
          <BetField value={bet} onChange={setBet} limits={game.data?.bet ?? null} />
          <ErrorText message={formError ?? play.error} />
          <button type="submit" disabled={play.pending || !game.data}>
            {play.pending ? 'Playing…' : 'Play'}
          </button>
        </form>
      </section>
      <PlayResult summary={last ? { playId: last.res.playId, bet: last.bet, payout: last.res.payout, balance: last.res.balance } : null} headline={last ? RESULT_WORDS[last.res.result] : ''}>
        {last ? (
          <p data-testid="rps-moves">
            You played <strong>{name(last.res.choice)}</strong>; the house played <strong>{name(last.res.houseChoice)}</strong>.
          </p>
        ) : null}
      </PlayResult>
      <OddsSection rtp={game.error ? null : odds?.rtp} note={game.error ?? undefined}>
        {odds ? (
          <table>
            <caption>The house picks rock, paper or scissors at random, each {percent(odds.houseChoice[0]?.probability ?? 1 / 3)} of the time, without looking at your move.</caption>
            <thead>
              <tr>
                <th scope="col">Result</th>
                <th scope="col" className="num">Pays (× bet)</th>
                <th scope="col" className="num">Chance</th>
              </tr>
            </thead>
            <tbody>
              {odds.results.map((r) => (
                <tr key={r.result}>
                  <td>{r.result.charAt(0).toUpperCase() + r.result.slice(1)}</td>
                  <td className="num">{r.multiplier}×</td>
                  <td className="num">{percent(r.probability)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </OddsSection>
    </>
  );
}
