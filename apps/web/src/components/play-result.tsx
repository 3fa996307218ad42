import type { ReactNode } from 'react';
import { coins, signedCoins } from './format.js';

export interface PlaySummary {
  playId: string;
  bet: number;
  payout: number;
  balance: number;
}

/**
 * The outcome of one play: what was bet, what came back and the balance now. The box keeps its
 * height before the first play so the page does not jump when a result arrives.
 */
export function PlayResult({
  summary,
  headline,
  betLabel = 'Bet',
  children,
}: {
  summary: PlaySummary | null;
  headline: string;
  betLabel?: string;
  children?: ReactNode;
}) {
  return (
    <section className="card result" aria-labelledby="result-heading" data-testid="play-result">
      <h2 id="result-heading">Result</h2>
      <div role="status" aria-live="polite">
        {summary ? (
          <>
            <p className="headline" data-testid="result-headline">
              {headline}
            </p>
            {children}
            <p className="muted" data-testid="result-play-id">
              Play {summary.playId.slice(0, 8)}: it appears under this number in your wallet history.
            </p>
            <dl className="summary">
              <div>
                <dt>{betLabel}</dt>
                <dd data-testid="result-bet">{coins(summary.bet)}</dd>
              </div>
              <div>
                <dt>Paid out</dt>
                <dd data-testid="result-payout">{coins(summary.payout)}</dd>
              </div>
              <div>
                <dt>Net</dt>
                <dd className={summary.payout - summary.bet >= 0 ? 'up' : 'down'}>{signedCoins(summary.payout - summary.bet)}</dd>
              </div>
              <div>
                <dt>New balance</dt>
                <dd data-testid="result-balance">{coins(summary.balance)}</dd>
              </div>
            </dl>
          </>
        ) : (
          <p className="muted">No play yet. Your result will appear here.</p>
        )}
      </div>
    </section>
  );
}
