import { useEffect, type ComponentType } from 'react';
import { Layout } from './components/layout.js';
import { PageTitle } from './components/page-title.js';
import { GachaPage } from './pages/gacha-page.js';
import { LeaderboardPage } from './pages/leaderboard-page.js';
import { LobbyPage } from './pages/lobby-page.js';
import { LoginPage } from './pages/login-page.js';
import { RpsPage } from './pages/rps-page.js';
import { SignupPage } from './pages/signup-page.js';
import { SlotsPage } from './pages/slots-page.js';
import { WalletPage } from './pages/wallet-page.js';
import { Link, navigate, usePath } from './router.js';
import { useSession } from './session.js';

const PLAYER_PAGES: Record<string, ComponentType> = {
  '/': LobbyPage,
  '/games/slots': SlotsPage,
  '/games/rps': RpsPage,
  '/games/gacha': GachaPage,
  '/wallet': WalletPage,
  '/leaderboard': LeaderboardPage,
};
const PUBLIC_PAGES: Record<string, ComponentType> = { '/login': LoginPage, '/signup': SignupPage };

function NotFound() {
  return (
    <section className="card">
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is nothing at this address. <Link to="/">Go to the lobby</Link>
      </p>
    </section>
  );
}

function Booting() {
  return (
    <section className="card narrow" aria-busy="true">
      <p className="muted">Loading your session…</p>
    </section>
  );
}

export function App() {
  const { status } = useSession();
  const path = usePath();
  const signedIn = status === 'authenticated';

  // Players land on the lobby after logging in and on the login page when the session ends.
  useEffect(() => {
    if (status === 'authenticated' && path in PUBLIC_PAGES) navigate('/', { replace: true });
    if (status === 'anonymous' && !(path in PUBLIC_PAGES)) navigate('/login', { replace: true });
  }, [status, path]);

  // While a stored session resumes, the player's page already renders: its requests wait for
  // the same single-flight refresh, so the layout does not switch from a placeholder and jump.
  const playerLayout = signedIn || (status === 'booting' && path in PLAYER_PAGES);
  let Page: ComponentType;
  if (playerLayout) Page = PLAYER_PAGES[path] ?? (path in PUBLIC_PAGES ? Booting : NotFound);
  else if (status === 'booting') Page = Booting;
  else Page = PUBLIC_PAGES[path] ?? Booting;

  return (
    <Layout signedIn={playerLayout}>
      <Page />
    </Layout>
  );
}
