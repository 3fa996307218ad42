// `npm run migrate -- status|up [target]|down N [--json]` against DATABASE_URL.
import { loadConfig } from '../config/index.js';
import { Migrator } from '@cc/pg-migrate';
import { defaultMigrationsDir } from '../paths.js';

const USAGE = `Usage: npm run migrate -- <command> [--json]

Commands:
  status        list every migration as applied, pending or changed
  up [VERSION]  apply pending migrations (up to VERSION)
  down N        revert the last N applied migrations

Reads DATABASE_URL, MIGRATIONS_DIR, MIGRATION_LOCK_TIMEOUT_MS and MIGRATION_STATEMENT_TIMEOUT_MS.
Example: DATABASE_URL=postgres://postgres@127.0.0.1/cc npm run migrate -- up`;

const args = process.argv.slice(2);
const json = args.includes('--json');
const [cmd, arg] = args.filter((a) => !a.startsWith('--'));
if (!cmd || args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(cmd ? 0 : 64);
}
// Only the database: the migration Job's pod gets DATABASE_URL and nothing else (deploy/k8s/jobs).
const config = loadConfig(process.env, { requiredInProduction: ['DATABASE_URL'] });
if (!config.DATABASE_URL) {
  console.error('DATABASE_URL: is required');
  process.exit(64);
}
const m = new Migrator({
  databaseUrl: config.DATABASE_URL,
  dir: config.MIGRATIONS_DIR ?? defaultMigrationsDir(),
  lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
  statementTimeoutMs: config.MIGRATION_STATEMENT_TIMEOUT_MS,
  log: json ? undefined : (msg, data) => console.error(`${msg}${data ? ` ${JSON.stringify(data)}` : ''}`),
});
try {
  if (cmd === 'status') {
    const s = await m.status();
    if (json) console.log(JSON.stringify({ migrations: s, schemaVersion: Math.max(0, ...s.filter((x) => x.state === 'applied').map((x) => x.version)) }));
    else for (const x of s) console.log(`${String(x.version).padStart(4, '0')}_${x.name}  ${x.state}${x.appliedAt ? `  ${x.appliedAt}` : ''}`);
  } else if (cmd === 'up') {
    const target = arg === undefined ? undefined : Number(arg);
    if (target !== undefined && !Number.isInteger(target)) throw new Error(`up: VERSION must be an integer, got ${arg}`);
    const steps = await m.up(target);
    console.log(json ? JSON.stringify({ applied: steps }) : steps.length ? `applied ${steps.length} migration(s)` : 'already up to date');
  } else if (cmd === 'down') {
    const n = Number(arg);
    if (!Number.isInteger(n) || n < 1) throw new Error('down: N must be a positive integer');
    const steps = await m.down(n);
    console.log(json ? JSON.stringify({ reverted: steps }) : `reverted ${steps.length} migration(s)`);
  } else {
    console.error(`unknown command ${cmd}\n\n${USAGE}`);
    process.exit(64);
  }
} catch (err) {
  const e = err as Error & { code?: string };
  if (json) console.log(JSON.stringify({ error: { code: e.code ?? 'error', message: e.message } }));
  else console.error(`migrate ${cmd} failed: ${e.message}`);
  process.exit(1);
}
