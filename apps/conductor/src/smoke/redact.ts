// Smoke failures quote what the API said. Bodies can carry tokens (a signup that answered
// with an unexpected shape still holds a session), so excerpts are scrubbed twice: by key
// name, and by every secret value the suite knows about.

const SECRET_KEY = /token|password|secret|authorization|invite/i;

function scrubJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrubJson);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) ? '[redacted]' : scrubJson(x)]));
  }
  return v;
}

export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  try {
    out = JSON.stringify(scrubJson(JSON.parse(text)));
  } catch {
    // not JSON: value scrubbing below still applies
  }
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
