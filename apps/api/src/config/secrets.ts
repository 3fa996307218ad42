// The weakness rules live in @cc/contracts so the conductor's configuration gate applies the
// same ones before a deploy.
export { DEV_JWT_SECRET, databasePasswordWeakness, jwtSecretWeakness } from '@cc/contracts';

/** Replaces the password in a connection URL so it can be logged or printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
