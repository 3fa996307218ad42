import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lastLines, run, succeeded, type Command } from '../command/index.js';
import { CcrError } from '../errors.js';
import { excerpt, redact } from './redact.js';

// A smoke invite comes from the release's own admin CLI, run against the app's database:
//   artifact:  node <artifactDir>/api/admin.mjs create-invites --count 1 --smoke --json
//   dev tree:  node --import tsx apps/api/src/bin/admin.ts create-invites --count 1 --smoke --json
// Both print {"codes":["..."]}. Any other command printing that can be given instead.

const ARGS = ['create-invites', '--count', '1', '--smoke', '--json'];

export type SmokeInviteSource =
  | { artifactDir: string }
  | { repoRoot: string }
  /** argv (ARGS not appended) and its working folder. */
  | { command: string[]; cwd?: string };

function commandFor(source: SmokeInviteSource): { argv: string[]; cwd: string | undefined } {
  if ('command' in source) {
    if (source.command.length === 0) throw new CcrError('usage', 'smoke invite command: empty argv');
    return { argv: source.command, cwd: source.cwd };
  }
  if ('artifactDir' in source) {
    const admin = join(source.artifactDir, 'api', 'admin.mjs');
    if (!existsSync(admin)) throw new CcrError('not_found', `smoke invite: ${admin} does not exist (the artifact has no admin CLI)`);
    return { argv: [process.execPath, admin, ...ARGS], cwd: source.artifactDir };
  }
  return { argv: [process.execPath, '--import', 'tsx', 'apps/api/src/bin/admin.ts', ...ARGS], cwd: source.repoRoot };
}

/** The password inside a postgres URL, so error text can be scrubbed of it. */
function urlSecrets(databaseUrl: string): string[] {
  try {
    const u = new URL(databaseUrl);
    return u.password ? [u.password, decodeURIComponent(u.password)] : [];
  } catch {
    return [];
  }
}

/**
 * Returns an invite provider for runSmokeSuite(): each call creates one single-use smoke
 * invite through the admin CLI. The child gets only PATH, HOME and DATABASE_URL, so a parent's
 * APP_ENV or secrets do not leak in. Errors carry the CLI's stderr tail, scrubbed of the
 * database password.
 */
export function smokeInviteFromCli(source: SmokeInviteSource, databaseUrl: string, opts: { timeoutMs?: number } = {}): () => Promise<string> {
  const { argv, cwd } = commandFor(source);
  const secrets = urlSecrets(databaseUrl);
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const command: Command = { argv, cwd, env, inheritEnv: false, timeoutMs, redact: secrets };
  return async () => {
    const r = await run(command);
    if (!succeeded(r)) {
      const tail = excerpt(redact(lastLines(r.stderr, 3), secrets), 300);
      const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exited ${r.exitCode ?? r.signal ?? '?'}`;
      throw new CcrError('step_failed', `smoke invite command ${why}${tail ? `: ${tail}` : ''}`);
    }
    const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    let codes: unknown;
    try {
      codes = line ? (JSON.parse(line) as { codes?: unknown }).codes : undefined;
    } catch {
      codes = undefined;
    }
    if (!Array.isArray(codes) || typeof codes[0] !== 'string') throw new CcrError('step_failed', 'smoke invite command printed no {"codes":[...]} line');
    return codes[0];
  };
}
