import { ApiError, SessionEndedError, errorFromResponse } from './errors.js';
import type { SessionHint } from './session-hint.js';
import type { AuthResponse } from './types.js';

export interface RequestOptions {
  body?: unknown;
  /** Sends the access token and refreshes it once on 401. Default true. */
  auth?: boolean;
  /** One per click: a replay of the same key returns the first result without a second charge. */
  idempotencyKey?: string;
}

export type SessionEndReason = 'expired' | 'logged_out';

/** Proves to the API that a cookie-authorised request comes from this app (CSRF defence). */
const CSRF = { 'x-cc-csrf': '1' };

/**
 * Talks to the API over HTTP. The access token lives only in this object's memory; the
 * refresh token is an httpOnly cookie the browser sends to /api/auth only, so script never
 * sees it. On a 401 it refreshes once and retries. Refresh tokens rotate, and presenting a
 * rotated one again is taken as theft and ends the session, so refreshes never overlap:
 * within a tab parallel requests share one refresh, and across tabs (which share the cookie)
 * a Web Lock lets one tab at a time refresh.
 */
export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly listeners = new Set<(reason: SessionEndReason) => void>();

  constructor(
    private readonly hint: SessionHint,
    private readonly baseUrl = '',
  ) {}

  /** Called when the session is over for good (refresh refused or logout). */
  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasStoredSession(): boolean {
    return this.hint.present();
  }

  /** Keeps the access token from signup, login or refresh (the cookie came with the answer). */
  adopt(auth: Pick<AuthResponse, 'accessToken'>): void {
    this.accessToken = auth.accessToken;
    this.hint.set();
  }

  /** Turns the session cookie into a live session (page reload, new tab). */
  async resume(): Promise<void> {
    await this.refresh(this.accessToken);
  }

  /** Ends the session on the server (its access tokens stop working at once) and here. */
  async logout(): Promise<void> {
    this.forget();
    try {
      await this.send('POST', '/api/auth/logout', { auth: false, headers: CSRF });
    } finally {
      this.emit('logged_out');
    }
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const auth = opts.auth ?? true;
    if (auth && this.accessToken === null) await this.refresh(null);
    const usedToken = this.accessToken;
    try {
      return await this.send<T>(method, path, opts);
    } catch (err) {
      if (!auth || !(err instanceof ApiError) || err.status !== 401) throw err;
      await this.refresh(usedToken);
      // The first attempt was refused before it ran, so the retry may reuse its idempotency key.
      return this.send<T>(method, path, opts);
    }
  }

  private async send<T>(method: string, path: string, opts: RequestOptions & { headers?: Record<string, string> }): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if ((opts.auth ?? true) && this.accessToken) headers['authorization'] = `Bearer ${this.accessToken}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
    } catch (err) {
      throw new ApiError('network', 0, 'network error', { cause: err });
    }
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /**
   * Single-flight refresh. `staleToken` is the access token the caller saw refused: if another
   * request already replaced it, the caller simply retries with the new one.
   */
  private async refresh(staleToken: string | null): Promise<void> {
    if (this.accessToken !== null && this.accessToken !== staleToken) return;
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    try {
      const pair = await withRefreshLock(() => this.send<AuthResponse>('POST', '/api/auth/refresh', { auth: false, headers: CSRF }));
      this.adopt(pair);
    } catch (err) {
      // Only a refusal ends the session; a network blip, a rate limit or a 5xx keeps the token
      // so the next action can retry.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
        this.forget();
        this.emit('expired');
        throw new SessionEndedError({ cause: err });
      }
      throw err;
    }
  }

  private forget(): void {
    this.accessToken = null;
    this.hint.clear();
  }

  private emit(reason: SessionEndReason): void {
    for (const l of this.listeners) l(reason);
  }
}

/**
 * Runs a refresh while holding a lock every tab of this site shares (Web Locks API), so two
 * tabs never present the same rotating cookie at once; the second tab refreshes after the
 * first, with the cookie the first one received. Without Web Locks it just runs.
 */
function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? (locks.request('cc-refresh', fn) as Promise<T>) : fn();
}
