import { REDACTED, redactText } from './command.js';

// The values this process must never print or store, whoever asks: what ${VAR} expanded to in
// rollout.yaml, and the secrets resolved from a secrets manager. One registry, in memory only,
// so the boundaries that write (the store's queries, command results, reports, notifications)
// redact without each caller having to know which variable held a secret.

/** Shorter values are not redacted: "true" or a port number would be blotted out everywhere. */
export const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
/** Expanded text -> the text as written ("deploy --token ${TOKEN}"), for display. */
const templates = new Map<string, string>();

export function rememberSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** Remembers that `expanded` was written as `template`, so it can be shown as written. */
export function rememberTemplate(template: string, expanded: string): void {
  if (template !== expanded) templates.set(expanded, template);
}

export function knownSecrets(): string[] {
  // longest first, so a secret that contains another is replaced whole
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** The text with every known secret replaced by `***`. */
export function redactKnown(text: string): string {
  return secrets.size ? redactText(text, knownSecrets()) : text;
}

/** Strings anywhere inside a JSON-like value, redacted (objects are copied, never changed in place). */
export function redactDeep<T>(value: T): T {
  if (!secrets.size) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactKnown(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** A configured string as written (its ${VAR} references unexpanded), else redacted. */
export function asWritten(expanded: string): string {
  return templates.get(expanded) ?? redactKnown(expanded);
}

export { REDACTED };
