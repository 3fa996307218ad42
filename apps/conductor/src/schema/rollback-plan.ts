import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIrreversible, Migrator } from '@cc/pg-migrate';
import type pg from 'pg';
import type { Artifact } from '../artifacts/store.js';
import { backupOfRelease } from '../backup/index.js';
import { CcrError } from '../errors.js';
import { dataAtRisk, describeAtRisk, type AtRisk } from './at-risk.js';
import { appliedVersions } from './lint.js';

// Rollback and the schema: going back to a version whose schema is older means reverting the
// migrations it does not know. Reversible ones can be migrated down when the environment
// allows it (rollback.allowMigrateDown); an irreversible one is refused with the reason, the
// pre-release backup to restore instead, and the data written since that backup which a
// restore would lose. Unless the rollback target is proven to run on the current schema: the
// release's rehearsal ran its smoke tests there (expand/contract compatible). Then the schema
// stays as it is ('keep'), because migrating down would only destroy what the newer version
// wrote into its new tables and columns.

export interface SchemaRollbackStep {
  version: number;
  name: string;
  irreversible: boolean;
}

export interface SchemaRollbackPlan {
  action: 'none' | 'keep' | 'migrate-down' | 'refuse';
  steps: SchemaRollbackStep[];
  reason: string;
  backup: { id: string; createdAt: string; status: string; schemaVersion: number } | null;
  restoreCommand: string | null;
  atRisk: AtRisk[];
}

export interface PlanInput {
  store: Pick<pg.Pool, 'query'>;
  env: string;
  artifactFrom: Artifact;
  artifactTo: Artifact;
  databaseUrl: string;
  allowMigrateDown: boolean;
}

/** What the lint and rehearsal steps record on a release (steps/migrate-lint.ts, migrate-rehearse.ts). */
export interface ReleaseSchemaData {
  migrationLint?: { acknowledgements?: Array<{ migration: string; rule: string; reason: string }> };
  rehearsal?: { expandContract?: 'compatible' | 'incompatible' | 'not-checked'; oldVersion?: string | null; smokeDetail?: string | null };
}

/** The rehearsal of `release` proved `version` works on its migrated schema. */
export function provenCompatible(release: { data: ReleaseSchemaData } | null, version: string): boolean {
  const r = release?.data.rehearsal;
  return r?.expandContract === 'compatible' && r.oldVersion === version;
}

const label = (s: { version: number; name: string }) => `${String(s.version).padStart(4, '0')}_${s.name}`;

export async function planSchemaRollback(i: PlanInput): Promise<SchemaRollbackPlan> {
  const applied = await appliedVersions(i.databaseUrl);
  const known = new Set(i.artifactTo.manifest.migrations.map((m) => m.version));
  const steps: SchemaRollbackStep[] = i.artifactFrom.manifest.migrations
    .filter((m) => applied.has(m.version) && !known.has(m.version))
    .sort((a, b) => b.version - a.version)
    .map((m) => ({ version: m.version, name: m.name, irreversible: isIrreversible(readFileSync(join(i.artifactFrom.dir, m.down), 'utf8')) }));
  const plan: SchemaRollbackPlan = { action: 'none', steps, reason: '', backup: null, restoreCommand: null, atRisk: [] };
  const release = await i.store.query<{ id: string; roll_forward_only: boolean; data: ReleaseSchemaData }>(
    'SELECT id, roll_forward_only, data FROM releases WHERE env = $1 AND version = $2 ORDER BY created_at DESC LIMIT 1',
    [i.env, i.artifactFrom.version],
  );
  const fromRelease = release.rows[0] ?? null;
  if (fromRelease?.roll_forward_only) {
    const acks = (fromRelease.data.migrationLint?.acknowledgements ?? []).map((a) => `${a.migration} ${a.rule}: "${a.reason}"`);
    plan.action = 'refuse';
    plan.reason = `release ${fromRelease.id} (${i.artifactFrom.version}) is roll-forward-only${acks.length ? ` (acknowledged ${acks.join('; ')})` : ''}: fix forward, or restore its pre-release backup`;
  } else if (steps.length === 0) {
    plan.reason = `${i.artifactTo.version} knows every applied migration: no schema change needed`;
    return plan;
  }
  if (plan.action !== 'refuse' && provenCompatible(fromRelease, i.artifactTo.version)) {
    plan.action = 'keep';
    plan.reason = `${i.artifactTo.version} passed its smoke tests on this schema in release ${fromRelease!.id}'s rehearsal: ${steps.map(label).join(', ')} stay applied (expand-only for it), so nothing written since is lost`;
    return plan;
  }
  if (plan.action === 'refuse') return withBackup(plan, i, fromRelease?.id ?? null);
  const newestApplied = [...applied].sort((a, b) => b - a).slice(0, steps.length);
  if (newestApplied.join() !== steps.map((s) => s.version).join()) {
    plan.action = 'refuse';
    plan.reason = `the database has migrations applied after ${i.artifactFrom.version}'s (${newestApplied.join(', ')}); revert those first`;
    return plan;
  }
  const irreversible = steps.filter((s) => s.irreversible);
  if (irreversible.length === 0) {
    plan.action = i.allowMigrateDown ? 'migrate-down' : 'refuse';
    plan.reason = i.allowMigrateDown
      ? `${i.artifactTo.version} needs ${steps.map(label).join(', ')} reverted; every one is reversible: migrating down after the switch`
      : `${i.artifactTo.version} has an older schema: ${steps.map(label).join(', ')} would have to be migrated down, and rollback.allowMigrateDown is false for ${i.env}`;
    if (i.allowMigrateDown) return plan;
  } else {
    plan.action = 'refuse';
    plan.reason = `${i.artifactTo.version} has an older schema and ${irreversible.map(label).join(', ')} cannot be reversed (its down file is marked cc:irreversible: the change destroyed or reshaped data)`;
  }
  return withBackup(plan, i, fromRelease?.id ?? null);
}

/** A refusal offers the pre-release backup of the release being left, and what restoring it would lose. */
async function withBackup(plan: SchemaRollbackPlan, i: PlanInput, releaseId: string | null): Promise<SchemaRollbackPlan> {
  const backup = releaseId ? await backupOfRelease(i.store, releaseId) : null;
  if (backup) {
    plan.backup = { id: backup.id, createdAt: backup.createdAt, status: backup.status, schemaVersion: backup.schemaVersion };
    plan.restoreCommand = `ccr backup restore ${backup.id} --yes`;
    plan.atRisk = await dataAtRisk(i.databaseUrl, backup);
  }
  return plan;
}

/** The refusal text: why, what to restore, and what that would lose. */
export function describeSchemaRollback(p: SchemaRollbackPlan): string {
  if (p.action !== 'refuse') return p.reason;
  if (!p.backup) return `${p.reason}. No pre-release backup of that release is recorded, so there is nothing to restore: roll forward instead.`;
  return `${p.reason}.\nThe pre-release backup ${p.backup.id} (taken ${p.backup.createdAt}, schema ${p.backup.schemaVersion}, ${p.backup.status}) can be restored with explicit confirmation:\n  ${p.restoreCommand}\nData written since then that a restore would lose:\n${describeAtRisk(p.atRisk)}`;
}

/** Reverts the plan's migrations with the from-artifact's own down files, under the runner's lock. */
export async function applySchemaRollback(p: SchemaRollbackPlan, o: { artifactFrom: Artifact; databaseUrl: string; lockTimeoutMs: number; statementTimeoutMs: number; retries: number }): Promise<Array<{ version: number; durationMs: number }>> {
  if (p.action !== 'migrate-down') return [];
  const m = new Migrator({ databaseUrl: o.databaseUrl, dir: join(o.artifactFrom.dir, o.artifactFrom.manifest.migrationsDir), lockTimeoutMs: o.lockTimeoutMs, statementTimeoutMs: o.statementTimeoutMs, lockRetries: o.retries });
  const done = await m.down(p.steps.length);
  return done.map((s) => ({ version: s.version, durationMs: s.durationMs }));
}

/** For `ccr rollback`: plan, and throw the explained refusal. */
export async function guardSchemaRollback(i: PlanInput): Promise<SchemaRollbackPlan> {
  const plan = await planSchemaRollback(i);
  if (plan.action === 'refuse') {
    throw new CcrError('gate_failed', describeSchemaRollback(plan), { exitCode: 2, details: { schema: plan } });
  }
  return plan;
}
