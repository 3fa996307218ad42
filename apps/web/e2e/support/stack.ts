// A real API (fresh migrated database, own Redis key prefix) that also serves the real
// production build of the web app, listening on an ephemeral port. Nothing is faked: the
// browser talks to the same routes a player's browser would.
import { createTestApp, type TestApp } from '../../../api/test/support/test-app.js';
import { ensureCachedBuild } from '../../tools/build.js';

export interface Stack {
  url: string;
  api: TestApp;
  /** The version stamped into the build being served. */
  webVersion: string;
  close(): Promise<void>;
}

export async function startStack(opts: { env?: Record<string, string> } = {}): Promise<Stack> {
  const build = await ensureCachedBuild();
  const api = await createTestApp({ env: { WEB_DIST: build.dist, LOG_LEVEL: 'warn', APP_VERSION: 'e2e-api', ...opts.env } });
  const url = await api.server.listen();
  return { url, api, webVersion: build.version, close: () => api.close() };
}

/** The balance the database holds for a nickname: the truth the UI is checked against. */
export async function balanceOf(stack: Stack, nickname: string): Promise<number> {
  const r = await stack.api.server.ctx.db.query<{ balance: string }>('SELECT balance FROM users WHERE nickname = $1', [nickname]);
  if (!r.rows[0]) throw new Error(`no user ${nickname}`);
  return Number(r.rows[0].balance);
}
