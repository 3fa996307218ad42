import type { ReactNode } from 'react';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { coins } from './format.js';
import { Footer } from './footer.js';
import { useAction } from './use-action.js';

const NAV = [
  { to: '/', label: 'Lobby' },
  { to: '/games/slots', label: 'Slots' },
  { to: '/games/rps', label: 'Rock Paper Scissors' },
  { to: '/games/gacha', label: 'Gacha' },
  { to: '/wallet', label: 'Wallet' },
  { to: '/leaderboard', label: 'Leaderboard' },
];

function PlayerBar() {
  const { me, logout } = useSession();
  const out = useAction(logout);
  return (
    <div className="player-bar">
      <p className="balance" aria-live="polite">
        <span className="nickname">{me?.nickname ?? '…'}</span>
        <span className="coins" data-testid="header-balance">
          {me ? coins(me.balance) : '…'}
        </span>{' '}
        coins
      </p>
      <button type="button" className="secondary" onClick={() => void out.run()} disabled={out.pending}>
        {out.pending ? 'Logging out…' : 'Log out'}
      </button>
    </div>
  );
}

export function Layout({ children, signedIn }: { children: ReactNode; signedIn: boolean }) {
  return (
    <div className="shell">
      <a className="skip-link" href="#page-title">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-row">
          <Link to={signedIn ? '/' : '/login'} className="brand">
            CC Webapp
          </Link>
          {signedIn ? <PlayerBar /> : null}
        </div>
        {signedIn ? (
          <nav aria-label="Main">
            <ul>
              {NAV.map((n) => (
                <li key={n.to}>
                  <Link to={n.to}>{n.label}</Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main className="content">{children}</main>
      <Footer />
    </div>
  );
}
