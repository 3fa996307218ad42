// `npm run admin -- <command>`: invite codes and admin accounts, straight against DATABASE_URL.
import { parseArgs } from 'node:util';
import { createAdmin } from '../admin/create-admin.js';
import { MAX_INVITE_USES, MAX_INVITES_PER_CALL, createInvites } from '../admin/invite-codes.js';
import { readPassword } from '../admin/read-password.js';
import { loadConfig } from '../config/index.js';
import { createPool } from '../db/pool.js';
import { AppError } from '../errors.js';
import { newPasswordSchema, nicknameSchema } from '../modules/auth/schemas.js';

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  create-invites --count N [--smoke] [--max-uses N] [--expires-in-days D] [--json]
      Creates N invite codes (1-${MAX_INVITES_PER_CALL}) and prints one per line, or {"codes":[...]} with --json.
      --smoke marks them as smoke-test codes: users who sign up with them are synthetic.
      --max-uses N lets each code be used N times (default 1).
      --expires-in-days D makes the codes expire after D days (default: never).
  create-admin --nickname NAME [--json]
      Creates a new user with the admin role. The password is read from stdin: the first line
      of a pipe, or a prompt with echo off on a terminal. An existing nickname is refused.

Reads DATABASE_URL from the environment.
Examples:
  DATABASE_URL=postgres://postgres@127.0.0.1/cc npm run admin -- create-invites --count 5
  printf '%s\\n' "$ADMIN_PASSWORD" | npm run -s admin -- create-admin --nickname root_admin`;

const EX_USAGE = 64;

class UsageError extends Error {}

function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name}: must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        count: { type: 'string' },
        smoke: { type: 'boolean' },
        'max-uses': { type: 'string' },
        'expires-in-days': { type: 'string' },
        nickname: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

function databaseUrl(): string {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new UsageError('DATABASE_URL: is required; point it at the API database');
  return config.DATABASE_URL;
}

async function createInvitesCommand(values: ReturnType<typeof parse>['values']): Promise<void> {
  if (values.count === undefined) throw new UsageError('create-invites: --count N is required');
  const count = intOption('count', values.count, 1, MAX_INVITES_PER_CALL)!;
  const maxUses = intOption('max-uses', values['max-uses'], 1, MAX_INVITE_USES);
  let expiresAt: Date | null = null;
  if (values['expires-in-days'] !== undefined) {
    const days = Number(values['expires-in-days']);
    if (!Number.isFinite(days) || days <= 0 || days > 3650) {
      throw new UsageError(`--expires-in-days: must be a number above 0 and at most 3650, got "${values['expires-in-days']}"`);
    }
    expiresAt = new Date(Date.now() + days * 86_400_000);
  }
  const pool = createPool(databaseUrl(), 2, 'cc-admin-cli');
  try {
    const codes = await createInvites(pool, { count, ...(maxUses ? { maxUses } : {}), expiresAt, smoke: values.smoke ?? false });
    process.stdout.write(values.json ? `${JSON.stringify({ codes })}\n` : `${codes.join('\n')}\n`);
  } finally {
    await pool.end();
  }
}

async function createAdminCommand(values: ReturnType<typeof parse>['values']): Promise<void> {
  if (values.nickname === undefined) throw new UsageError('create-admin: --nickname NAME is required');
  const nick = nicknameSchema.safeParse(values.nickname);
  if (!nick.success) throw new UsageError(`--nickname: ${nick.error.issues[0]!.message}`);
  const url = databaseUrl();
  const pw = newPasswordSchema.safeParse(await readPassword());
  if (!pw.success) throw new UsageError(`password (stdin): ${pw.error.issues[0]!.message}`);
  const pool = createPool(url, 2, 'cc-admin-cli');
  try {
    const user = await createAdmin(pool, { nickname: nick.data, password: pw.data }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'nickname_taken') {
        throw new AppError('nickname_taken', 409, `nickname "${nick.data}" is already taken (in some letter case); choose another`, { cause: err });
      }
      throw err;
    });
    process.stdout.write(
      values.json ? `${JSON.stringify({ user })}\n` : `created admin ${user.nickname} (${user.id})\n`,
    );
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (command || values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : EX_USAGE;
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (command === 'create-invites') await createInvitesCommand(values);
  else if (command === 'create-admin') await createAdminCommand(values);
  else throw new UsageError(`unknown command "${command}"`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`admin: ${err.message}\n\nRun with --help for usage.\n`);
    process.exitCode = EX_USAGE;
  } else if (err instanceof AppError) {
    process.stderr.write(`admin: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
  } else {
    const e = err as Error & { code?: string };
    process.stderr.write(`admin: ${e.name === 'ConfigError' ? e.message : `failed: ${e.message}${e.code ? ` (${e.code})` : ''}`}\n`);
    process.exitCode = e.name === 'ConfigError' ? EX_USAGE : 1;
  }
}
