// Which service a request path belongs to. Kept as plain string checks: this runs for
// every request and a regex or URL parse would cost more than the proxying decision.

/**
 * /api, /health and /version (and anything below them) go to the api service. Not /metrics:
 * the API serves it on an internal port only, so it never passes through the router.
 */
export function isApiPath(url: string): boolean {
  const c = url.charCodeAt(1);
  // Cheap first-letter filter: a, h, v.
  if (c !== 97 && c !== 104 && c !== 118) return false;
  return hasPrefix(url, '/api') || hasPrefix(url, '/health') || hasPrefix(url, '/version');
}

function hasPrefix(url: string, p: string): boolean {
  if (!url.startsWith(p)) return false;
  if (url.length === p.length) return true;
  const next = url.charCodeAt(p.length);
  return next === 47 /* / */ || next === 63 /* ? */ || next === 35 /* # */;
}

/** Hashed build output (Vite's /assets/index-abc123.js) that older clients may still ask for. */
export function isAssetPath(url: string): boolean {
  return url.startsWith('/assets/');
}

/** The value of the `cc_v` cookie, without parsing every cookie. */
export function readVersionCookie(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  let i = cookie.indexOf('cc_v=');
  while (i > 0 && cookie.charCodeAt(i - 1) !== 32 && cookie.charCodeAt(i - 1) !== 59) {
    i = cookie.indexOf('cc_v=', i + 5);
  }
  if (i < 0) return undefined;
  const start = i + 5;
  const end = cookie.indexOf(';', start);
  const v = (end < 0 ? cookie.slice(start) : cookie.slice(start, end)).trim();
  return v === '' ? undefined : v;
}
