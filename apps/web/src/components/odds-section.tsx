import type { ReactNode } from 'react';
import { percent } from './format.js';

/** The game's published odds, as the server publishes them. */
export function OddsSection({ rtp, note, children }: { rtp: number | null | undefined; note?: string; children: ReactNode }) {
  return (
    <section className="card odds" aria-labelledby="odds-heading">
      <h2 id="odds-heading">Published odds</h2>
      <p data-testid="odds-rtp">
        {rtp === undefined ? 'Loading the odds…' : rtp === null ? note : `Return to player: ${percent(rtp)} of all coins bet, on average.`}
      </p>
      <div className="table-wrap">{children}</div>
    </section>
  );
}
