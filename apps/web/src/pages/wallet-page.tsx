import { useState } from 'react';
import type { LedgerPage } from '../api/types.js';
import { ErrorText } from '../components/error-text.js';
import { coins, dateTime, signedCoins } from '../components/format.js';
import { PageTitle } from '../components/page-title.js';
import { useLoad } from '../components/use-load.js';
import { useSession } from '../session.js';

const PAGE_SIZE = 20;

const KIND_WORDS: Record<string, string> = {
  signup_bonus: 'Welcome bonus',
  bet: 'Bet',
  payout: 'Winnings',
  daily_reward: 'Daily reward',
  gacha: 'Gacha pull',
  adjustment: 'Adjustment',
};

const PLAY_KINDS = new Set(['bet', 'payout', 'gacha']);

/** Plays share their id with the result the game page showed, so a player can match them. */
const playRef = (kind: string, refId: string | null) => (refId && PLAY_KINDS.has(kind) ? `play ${refId.slice(0, 8)}` : null);

/**
 * The ledger, newest first, one page at a time. The API pages forward with a cursor, so the
 * cursors of earlier pages are kept to step back.
 */
export function WalletPage() {
  const { api } = useSession();
  // cursors[i] opened page i; page 0 has none.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length - 1;
  const cursor = cursors[page] ?? null;
  const ledger = useLoad(
    () => api.request<LedgerPage>('GET', `/api/wallet/ledger?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    `ledger:${cursor ?? ''}`,
  );
  const entries = ledger.data?.entries ?? [];
  const next = ledger.data?.nextCursor ?? null;

  return (
    <>
      <PageTitle title="Wallet">Wallet history</PageTitle>
      <section className="card" aria-labelledby="ledger-heading">
        <h2 id="ledger-heading">Every coin in and out, newest first</h2>
        <ErrorText message={ledger.error} />
        <div className="table-wrap">
          <table className="ledger" aria-busy={ledger.loading} data-testid="ledger">
            <caption className="visually-hidden">Wallet history, page {page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col" className="num">
                  Coins
                </th>
                <th scope="col" className="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={String(e.id)} data-kind={e.kind}>
                  <td>
                    <span className="kind">{KIND_WORDS[e.kind] ?? e.kind}</span>
                    <span className="muted small">
                      {dateTime(e.createdAt)}
                      {playRef(e.kind, e.refId) ? <span className="play-ref"> · {playRef(e.kind, e.refId)}</span> : null}
                    </span>
                  </td>
                  <td className={`num ${e.amount >= 0 ? 'up' : 'down'}`}>{signedCoins(e.amount)}</td>
                  <td className="num">{coins(e.balanceAfter)}</td>
                </tr>
              ))}
              {!ledger.loading && entries.length === 0 && !ledger.error ? (
                <tr>
                  <td colSpan={3}>No coin movements yet.</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
        <nav className="pager" aria-label="Wallet pages">
          <button type="button" className="secondary" disabled={page === 0 || ledger.loading} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </button>
          <span aria-live="polite">Page {page + 1}</span>
          <button type="button" className="secondary" disabled={!next || ledger.loading} onClick={() => next && setCursors((c) => [...c, next])}>
            Older
          </button>
        </nav>
      </section>
    </>
  );
}
