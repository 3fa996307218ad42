// Where the refresh token lives between page loads. See "Where the tokens live" in
// apps/web/README.md: sessionStorage, because the API hands the token out in JSON (so an
// httpOnly cookie is not an option without an API change) and sessionStorage is the narrowest
// web storage: one tab, gone when the tab closes, and never sent with requests by the browser.

const KEY = 'cc.refreshToken';

export interface RefreshTokenStore {
  load(): string | null;
  save(token: string): void;
  clear(): void;
}

export function sessionRefreshTokenStore(storage: Storage = window.sessionStorage): RefreshTokenStore {
  return {
    load: () => {
      try {
        return storage.getItem(KEY);
      } catch {
        return null; // storage disabled (privacy mode): the session lasts as long as the page
      }
    },
    save: (token) => {
      try {
        storage.setItem(KEY, token);
      } catch {
        // Quota or privacy mode: keep working with the in-memory access token only.
      }
    },
    clear: () => {
      try {
        storage.removeItem(KEY);
      } catch {
        // nothing stored, nothing to clear
      }
    },
  };
}
