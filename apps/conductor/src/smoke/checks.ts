import { randomBytes, randomUUID } from 'node:crypto';
import { SmokeFailure, type SmokeClient } from './client.js';

// The built-in checks, in the order they run. Each names the checks it needs: when one of
// those failed or was skipped, it is skipped too (no login without a signup), but reported.
// More checks belong in rollout.yaml as hooks, which the engine already runs.

export interface SmokeState {
  client: SmokeClient;
  expectVersion: string;
  inviteCode: () => Promise<string>;
  nickname?: string;
  password?: string;
  accessToken?: string;
  refreshToken?: string;
  /** playId per game, for the ledger check. */
  plays: Record<string, string>;
  dailyClaimed?: boolean;
}

export interface SmokeCheck {
  name: string;
  needs: string[];
  run(s: SmokeState): Promise<void>;
}

function str(body: Record<string, unknown>, key: string, what: string): string {
  const v = body[key];
  if (typeof v !== 'string' || !v) throw new SmokeFailure(`${what}: expected a "${key}" string in the answer, got ${JSON.stringify(Object.keys(body))}`);
  return v;
}

function num(body: Record<string, unknown>, key: string, what: string): number {
  const v = body[key];
  if (typeof v !== 'number') throw new SmokeFailure(`${what}: expected a numeric "${key}" in the answer, got ${typeof v}`);
  return v;
}

// Browsers get the refresh token as an httpOnly cookie; a script like this asks for it in the
// JSON (older API versions send it there anyway and ignore the header).
const BODY_DELIVERY = { 'x-refresh-token-delivery': 'body' };

function keepSession(s: SmokeState, body: Record<string, unknown>, what: string): void {
  s.accessToken = str(body, 'accessToken', what);
  s.refreshToken = str(body, 'refreshToken', what);
  s.client.secrets.add(s.accessToken);
  s.client.secrets.add(s.refreshToken);
}

const META = /<meta\b[^>]*\bname\s*=\s*["']cc-version["'][^>]*>/i;
const CONTENT = /\bcontent\s*=\s*["']([^"']*)["']/i;

async function play(s: SmokeState, game: string, path: string, body: unknown): Promise<void> {
  const what = `POST ${path}`;
  const r = await s.client.expectJson('POST', path, 200, { body, bearer: s.accessToken!, headers: { 'idempotency-key': randomUUID() } });
  s.plays[game] = str(r, 'playId', what);
  num(r, 'balance', what);
}

export const SMOKE_CHECKS: readonly SmokeCheck[] = [
  {
    name: 'version',
    needs: [],
    async run(s) {
      const body = await s.client.expectJson('GET', '/version', 200);
      if (body['version'] !== s.expectVersion) {
        throw new SmokeFailure(`GET /version: expected version "${s.expectVersion}", got ${JSON.stringify(body['version'])} (commit ${JSON.stringify(body['commit'])})`);
      }
    },
  },
  {
    name: 'frontend',
    needs: [],
    async run(s) {
      const r = await s.client.request('GET', '/', { headers: { accept: 'text/html' } });
      if (r.status !== 200 || !r.contentType.includes('text/html')) throw s.client.unexpected('GET', '/', '200 text/html (the web app\'s index.html)', r);
      const tag = META.exec(r.text)?.[0];
      if (!tag) throw new SmokeFailure(`GET /: expected <meta name="cc-version" content="${s.expectVersion}">, but index.html has no cc-version meta tag`);
      const content = CONTENT.exec(tag)?.[1];
      if (content !== s.expectVersion) throw new SmokeFailure(`GET /: expected <meta name="cc-version" content="${s.expectVersion}">, got content=${JSON.stringify(content ?? null)}`);
    },
  },
  {
    name: 'signup',
    needs: [],
    async run(s) {
      let invite: string;
      try {
        invite = (await s.inviteCode()).trim();
      } catch (err) {
        throw new SmokeFailure(`smoke invite: could not get one: ${s.client.scrub((err as Error).message)}`, { cause: err });
      }
      s.client.secrets.add(invite);
      s.nickname = `smoke_${randomBytes(4).toString('hex')}`;
      s.password = randomBytes(18).toString('base64url');
      s.client.secrets.add(s.password);
      const body = await s.client.expectJson('POST', '/api/auth/signup', 201, { body: { inviteCode: invite, nickname: s.nickname, password: s.password }, headers: BODY_DELIVERY });
      keepSession(s, body, 'POST /api/auth/signup');
    },
  },
  {
    name: 'login',
    needs: ['signup'],
    async run(s) {
      const body = await s.client.expectJson('POST', '/api/auth/login', 200, { body: { nickname: s.nickname, password: s.password }, headers: BODY_DELIVERY });
      keepSession(s, body, 'POST /api/auth/login');
    },
  },
  {
    name: 'refresh',
    needs: ['login'],
    async run(s) {
      const before = s.refreshToken;
      const body = await s.client.expectJson('POST', '/api/auth/refresh', 200, { body: { refreshToken: s.refreshToken } });
      keepSession(s, body, 'POST /api/auth/refresh');
      if (s.refreshToken === before) throw new SmokeFailure('POST /api/auth/refresh: expected a new (rotated) refresh token, got the same one back');
    },
  },
  {
    name: 'daily-reward',
    needs: ['login'],
    async run(s) {
      const r = await s.client.expectJson('POST', '/api/rewards/daily', 200, { bearer: s.accessToken! });
      num(r, 'amount', 'POST /api/rewards/daily');
      num(r, 'balance', 'POST /api/rewards/daily');
      s.dailyClaimed = true;
    },
  },
  { name: 'slots-spin', needs: ['login'], run: (s) => play(s, 'slots', '/api/games/slots/spin', { bet: 1 }) },
  { name: 'rps-play', needs: ['login'], run: (s) => play(s, 'rps', '/api/games/rps/play', { bet: 1, choice: 'rock' }) },
  { name: 'gacha-pull', needs: ['login'], run: (s) => play(s, 'gacha', '/api/games/gacha/pull', { count: 1 }) },
  {
    name: 'ledger',
    needs: ['slots-spin', 'rps-play', 'gacha-pull'],
    async run(s) {
      const r = await s.client.expectJson('GET', '/api/wallet/ledger?limit=50', 200, { bearer: s.accessToken! });
      const entries = r['entries'];
      if (!Array.isArray(entries)) throw new SmokeFailure('GET /api/wallet/ledger: expected an "entries" array');
      const refs = new Set(entries.map((e: { refId?: unknown }) => e.refId));
      const missing = Object.entries(s.plays).filter(([, id]) => !refs.has(id)).map(([game]) => game);
      if (missing.length) throw new SmokeFailure(`GET /api/wallet/ledger: expected entries for the ${missing.join(', ')} play(s), got ${entries.length} entries without them`);
      if (s.dailyClaimed && !entries.some((e: { kind?: unknown }) => e.kind === 'daily_reward')) {
        throw new SmokeFailure('GET /api/wallet/ledger: expected the daily_reward entry just claimed, found none');
      }
    },
  },
];

export const SMOKE_CHECK_NAMES = SMOKE_CHECKS.map((c) => c.name);
