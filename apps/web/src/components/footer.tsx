import { useEffect, useState } from 'react';
import type { VersionInfo } from '../api/types.js';

declare const __CC_VERSION__: string;

/** The web build's stamp (also in <meta name="cc-version">) and the API's, from /version. */
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
        Web <span data-testid="web-version">{__CC_VERSION__}</span>
      </span>
      <span aria-hidden="true"> · </span>
      <span>
        API <span data-testid="api-version">{api}</span>
      </span>
      <span className="footer-note">Virtual coins only, no real money.</span>
    </footer>
  );
}
