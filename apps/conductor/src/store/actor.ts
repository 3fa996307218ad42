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

/** How a request reached the release service (the audit log's channel column). */
export type Channel = 'cli' | 'api' | 'console' | 'controller';
export const CHANNELS: readonly Channel[] = ['cli', 'api', 'console', 'controller'];

/**
 * Who asks, and through what. identity is prefixed by its kind: `os:alice@host` (the OS user of
 * a direct CLI), later `user:alice` and `token:ci-bot` (the HTTP API), `controller:<id>`.
 */
export interface Actor {
  identity: string;
  channel: Channel;
}

/** An identity from a bare name: names without a kind are OS users (`os:`). */
export function identityOf(name: string): string {
  return /^[a-z]+:/.test(name) ? name : `os:${name}`;
}

/** The actor of a command run directly from a shell. */
export function cliActor(): Actor {
  return { identity: identityOf(currentActor()), channel: 'cli' };
}

// The channel of audit rows written with a bare actor name (engine code that predates Actor):
// `ccr server` sets 'controller' once at start; every other ccr process is the CLI.
let processChannel: Channel = 'cli';
export function setProcessChannel(c: Channel): void {
  processChannel = c;
}
export function defaultChannel(): Channel {
  return processChannel;
}
