import { join } from 'node:path';
import { loadMigrationFiles, type MigrationFile } from '@cc/pg-migrate';
import pg from 'pg';
import { parseAcks, type AckProblem } from './acks.js';
import { hazardOf, RUNNER_TIMEOUT_RULES, type HazardClass } from './hazards.js';
import { lockFindings } from './lock-hazards.js';
import { runSquawk } from './squawk.js';

// `ccr migrate lint`: squawk over the pending migrations, its findings mapped to hazards. A
// hazard fails the gate unless its file acknowledges the rule (or its class) with a reason;
// acknowledging a destructive change makes the release roll-forward-only.
//
// Timeouts: squawk wants `SET lock_timeout` / `SET statement_timeout` in each file. Our runner
// (@cc/pg-migrate) sets both on its session before any migration, from
// environments.<env>.migrations, so those findings count as satisfied when both are > 0.

export interface LintFinding {
  version: number;
  migration: string;
  line: number;
  rule: string;
  hazard: HazardClass | null;
  message: string;
  help: string | null;
  /** Set when the file acknowledges this rule or its class. */
  acknowledged?: string;
  /** Set when something other than the file takes care of it (the runner's timeouts). */
  satisfiedBy?: string;
}

export interface Acknowledgement {
  version: number;
  migration: string;
  rule: string;
  hazard: HazardClass | null;
  reason: string;
}

export interface LintReport {
  ok: boolean;
  linted: Array<{ version: number; migration: string }>;
  /** Unacknowledged hazards: each fails the gate. */
  hazards: LintFinding[];
  acknowledged: LintFinding[];
  advice: LintFinding[];
  satisfied: LintFinding[];
  acknowledgements: Acknowledgement[];
  invalidAcks: Array<AckProblem & { migration: string }>;
  /** An acknowledged destructive change: the release cannot be rolled back, only forward. */
  rollForwardOnly: boolean;
}

export interface LintOptions {
  dir: string;
  /** Only migrations not yet applied here are linted; all of them when null. */
  databaseUrl: string | null;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

const label = (f: { version: number; name: string }) => `${String(f.version).padStart(4, '0')}_${f.name}`;

export async function appliedVersions(databaseUrl: string): Promise<Set<number>> {
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'ccr-lint' });
  await c.connect();
  try {
    const t = await c.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
    if (!t.rows[0]?.ok) return new Set();
    const r = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
    return new Set(r.rows.map((row) => row.version));
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function pendingMigrations(dir: string, databaseUrl: string | null): Promise<MigrationFile[]> {
  const files = loadMigrationFiles(dir);
  if (!databaseUrl) return files;
  const applied = await appliedVersions(databaseUrl);
  return files.filter((f) => !applied.has(f.version));
}

export async function lintMigrations(o: LintOptions): Promise<LintReport> {
  const files = await pendingMigrations(o.dir, o.databaseUrl);
  const pathOf = (f: MigrationFile) => join(o.dir, `${label(f)}.up.sql`);
  const [inTx, noTx] = await Promise.all([
    runSquawk(files.filter((f) => !f.noTransaction).map(pathOf), { assumeInTransaction: true }),
    runSquawk(files.filter((f) => f.noTransaction).map(pathOf), { assumeInTransaction: false }),
  ]);
  const report: LintReport = {
    ok: true, linted: files.map((f) => ({ version: f.version, migration: label(f) })),
    hazards: [], acknowledged: [], advice: [], satisfied: [], acknowledgements: [], invalidAcks: [], rollForwardOnly: false,
  };
  const byPath = new Map(files.map((f) => [pathOf(f), f]));
  const acksOf = new Map(files.map((f) => [f.version, parseAcks(f.upSql)]));
  for (const f of files) for (const p of acksOf.get(f.version)!.problems) report.invalidAcks.push({ ...p, migration: label(f) });
  const used = new Set<string>();
  const ours = files.flatMap((f) => lockFindings(pathOf(f), f.upSql));
  for (const s of [...inTx, ...noTx, ...ours]) {
    const f = byPath.get(s.file) ?? files.find((x) => s.file.endsWith(`${label(x)}.up.sql`));
    if (!f) continue;
    const hazard = hazardOf(s.rule_name);
    const finding: LintFinding = { version: f.version, migration: label(f), line: s.line + 1, rule: s.rule_name, hazard, message: s.message, help: s.help };
    const timeout = RUNNER_TIMEOUT_RULES[s.rule_name];
    const ack = acksOf.get(f.version)!.acks.find((a) => a.rule === s.rule_name || (hazard && a.rule === hazard));
    if (!hazard) report.advice.push(finding);
    else if (timeout && (timeout === 'statement' || o.lockTimeoutMs > 0) && (timeout === 'lock' || o.statementTimeoutMs > 0)) {
      report.satisfied.push({ ...finding, satisfiedBy: `the migration runner sets lock_timeout=${o.lockTimeoutMs}ms and statement_timeout=${o.statementTimeoutMs}ms` });
    } else if (ack) {
      report.acknowledged.push({ ...finding, acknowledged: ack.reason });
      const key = `${f.version}:${ack.rule}`;
      if (!used.has(key)) {
        used.add(key);
        report.acknowledgements.push({ version: f.version, migration: label(f), rule: ack.rule, hazard, reason: ack.reason });
      }
      if (hazard === 'destructive') report.rollForwardOnly = true;
    } else report.hazards.push(finding);
  }
  report.ok = report.hazards.length === 0 && report.invalidAcks.length === 0;
  return report;
}

/** One line per hazard, for humans and for the step's reason. */
export function describeHazards(r: LintReport): string[] {
  return [
    ...r.hazards.map((h) => `${h.migration}:${h.line} ${h.hazard} (${h.rule}): ${h.message} — fix it, or acknowledge with "-- ccr:ack ${h.rule} <reason>"`),
    ...r.invalidAcks.map((p) => `${p.migration}:${p.line} ${p.message}`),
  ];
}
