import { hostname, userInfo } from 'node:os';

/** Who is acting, for the audit log: CCR_ACTOR (CI sets it) or user@host. */
export function currentActor(): string {
  const explicit = process.env['CCR_ACTOR'];
  if (explicit) return explicit.slice(0, 200);
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry in some containers
  }
  return `${user}@${hostname()}`;
}
