import { join } from 'node:path';
import type { Artifact } from '../artifacts/store.js';
import { run, type Command } from '../command/index.js';
import { CcrError } from '../errors.js';

export interface MigrateOptions {
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Re-runs after a lock_timeout; migrations that succeeded stay applied, so a re-run resumes. */
  retries?: number;
  onRetry?: (attempt: number, message: string) => void;
}

export interface AppliedMigration {
  version: number;
  name: string;
  durationMs: number;
  attempts: number;
}

interface CliResult {
  ok: boolean;
  steps: AppliedMigration[];
  code: string | null;
  message: string;
}

/** The artifact's own migrate CLI as a command: only PATH and the migration settings, never the parent's secrets. */
export function migrateCommand(artifact: Artifact, databaseUrl: string, o: MigrateOptions): Command {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DATABASE_URL: databaseUrl, MIGRATIONS_DIR: join(artifact.dir, artifact.manifest.migrationsDir) };
  if (o.lockTimeoutMs !== undefined) env['MIGRATION_LOCK_TIMEOUT_MS'] = String(o.lockTimeoutMs);
  if (o.statementTimeoutMs !== undefined) env['MIGRATION_STATEMENT_TIMEOUT_MS'] = String(o.statementTimeoutMs);
  const password = new URL(databaseUrl).password;
  return { argv: [process.execPath, join(artifact.dir, artifact.manifest.entrypoints.migrate), 'up', '--json'], cwd: artifact.dir, env, inheritEnv: false, redact: password ? [decodeURIComponent(password)] : [] };
}

async function runCli(artifact: Artifact, databaseUrl: string, o: MigrateOptions): Promise<CliResult> {
  const r = await run(migrateCommand(artifact, databaseUrl, o));
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let parsed: { applied?: AppliedMigration[]; error?: { code?: string; message?: string } } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    // reported below
  }
  if (r.exitCode === 0 && Array.isArray(parsed.applied)) return { ok: true, steps: parsed.applied.map((s) => ({ version: s.version, name: s.name, durationMs: s.durationMs, attempts: s.attempts ?? 1 })), code: null, message: '' };
  return { ok: false, steps: [], code: parsed.error?.code ?? null, message: parsed.error?.message ?? (r.stderr.trim().slice(-4000) || `exit ${r.exitCode ?? r.signal}`) };
}

/**
 * Runs the artifact's own migrate CLI (`node api/migrate.mjs up --json`) against the
 * database, so the schema a release gets is exactly the one it was built with. The runner
 * holds its advisory lock and applies the timeouts; a lock_timeout is retried with backoff.
 */
export async function migrateUp(artifact: Artifact, databaseUrl: string, o: MigrateOptions = {}): Promise<{ applied: number; steps: AppliedMigration[] }> {
  const steps: AppliedMigration[] = [];
  for (let attempt = 1; ; attempt++) {
    const r = await runCli(artifact, databaseUrl, o);
    steps.push(...r.steps);
    if (r.ok) return { applied: steps.length, steps };
    if (r.code === 'migration_lock_timeout' && attempt <= (o.retries ?? 0)) {
      o.onRetry?.(attempt, r.message);
      await new Promise((res) => setTimeout(res, 500 * attempt));
      continue;
    }
    throw new CcrError('step_failed', `migrations of ${artifact.version} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${r.message}`);
  }
}
