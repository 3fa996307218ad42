import { ApiError, SessionEndedError, errorFromResponse } from './errors.js';
import type { RefreshTokenStore } from './refresh-token-store.js';
import type { AuthResponse } from './types.js';

export interface RequestOptions {
  body?: unknown;
  /** Sends the access token and refreshes it once on 401. Default true. */
  auth?: boolean;
  /** One per click: a replay of the same key returns the first result without a second charge. */
  idempotencyKey?: string;
}

export type SessionEndReason = 'expired' | 'logged_out';

/**
 * Talks to the API over HTTP. The access token lives only in this object's memory; the refresh
 * token in the given store. On a 401 it refreshes once and retries, and parallel requests
 * share one refresh: refresh tokens rotate, and a second refresh with the same token would be
 * taken as reuse and end the whole session.
 */
export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly listeners = new Set<(reason: SessionEndReason) => void>();

  constructor(
    private readonly store: RefreshTokenStore,
    private readonly baseUrl = '',
  ) {}

  /** Called when the session is over for good (refresh refused or logout). */
  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasStoredSession(): boolean {
    return this.store.load() !== null;
  }

  /** Keeps the pair from signup, login or refresh. */
  adopt(auth: Pick<AuthResponse, 'accessToken' | 'refreshToken'>): void {
    this.accessToken = auth.accessToken;
    this.store.save(auth.refreshToken);
  }

  /** Turns a stored refresh token into a live session (page reload). */
  async resume(): Promise<void> {
    await this.refresh(this.accessToken);
  }

  async logout(): Promise<void> {
    const refreshToken = this.store.load();
    this.forget();
    try {
      if (refreshToken) await this.send('POST', '/api/auth/logout', { body: { refreshToken }, auth: false });
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

  private async send<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
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
    const refreshToken = this.store.load();
    if (!refreshToken) {
      this.forget();
      throw new SessionEndedError();
    }
    try {
      const pair = await this.send<AuthResponse>('POST', '/api/auth/refresh', { body: { refreshToken }, auth: false });
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
    this.store.clear();
  }

  private emit(reason: SessionEndReason): void {
    for (const l of this.listeners) l(reason);
  }
}
