// Whether this browser probably holds a session cookie. The refresh token itself is an
// httpOnly cookie (see "Where the tokens live" in apps/web/README.md): script can neither read
// it nor tell whether it exists. This flag only decides whether a page load tries to resume a
// session or goes straight to the login page; it is no secret, and a wrong guess costs one
// refused refresh. localStorage, so every tab of the site sees the same login.

const KEY = 'cc.session';

export interface SessionHint {
  present(): boolean;
  set(): void;
  clear(): void;
}

export function localSessionHint(storage: Storage = window.localStorage): SessionHint {
  return {
    present: () => {
      try {
        return storage.getItem(KEY) === '1';
      } catch {
        return true; // storage disabled (privacy mode): try to resume; a refusal is harmless
      }
    },
    set: () => {
      try {
        storage.setItem(KEY, '1');
      } catch {
        // privacy mode: the next load tries to resume anyway
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
