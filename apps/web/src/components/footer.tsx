import { useEffect, useState } from 'react';
import type { VersionInfo } from '../api/types.js';

/**
 * The version stamped into index.html at build time. Read from the page rather than compiled
 * into the script, so the script's content hash (and the browser's cached copy) only changes
 * when the code does, not with every release.
 */
const WEB_VERSION = document.querySelector<HTMLMetaElement>('meta[name="cc-version"]')?.content ?? 'unknown';

/** The web build's version and the API's, from /version. */
export function Footer() {
  const [api, setApi] = useState<string>('…');
  useEffect(() => {
    fetch('/version', { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then((r) => (r.ok ? (r.json() as Promise<VersionInfo>) : Promise.reject(new Error(String(r.status)))))
      .then((v) => setApi(v.version), () => setApi('unavailable'));
  }, []);
  return (
    <footer className="site-footer">
      <span>
        Web <span data-testid="web-version">{WEB_VERSION}</span>
      </span>
      <span aria-hidden="true"> · </span>
      <span>
        API <span data-testid="api-version">{api}</span>
      </span>
      <span className="footer-note">Virtual coins only, no real money.</span>
    </footer>
  );
}
