import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { loadArtifact } from '../artifacts/store.js';
import type { EnvironmentConfig } from '../config/index.js';
import type { CcPaths } from '../paths.js';
import { audit, currentActor } from '../store/index.js';
import { applySchemaRollback, guardSchemaRollback, type SchemaRollbackPlan } from './rollback-plan.js';

// The one call `ccr rollback` makes: refuse (exit 2, explained) before any traffic moves when
// the schema cannot go back; otherwise return what to run after the switch (migrating down
// only once the old version carries the traffic, since it runs on the newer expand-only schema).

export interface SchemaRollbackHook {
  plan: SchemaRollbackPlan | null;
  apply(): Promise<void>;
}

export async function schemaRollbackFor(
  o: { store: pg.Pool; envName: string; env: EnvironmentConfig; paths: CcPaths; appDatabaseUrl: string | null },
  from: string | null,
  to: string,
  say: (line: string) => void = () => undefined,
): Promise<SchemaRollbackHook> {
  const has = (v: string) => existsSync(join(o.paths.artifacts, v, 'manifest.json'));
  if (!from || !o.appDatabaseUrl || !has(from) || !has(to)) return { plan: null, apply: async () => undefined };
  const artifactFrom = loadArtifact(o.paths.artifacts, from);
  const databaseUrl = o.appDatabaseUrl;
  const plan = await guardSchemaRollback({ store: o.store, env: o.envName, artifactFrom, artifactTo: loadArtifact(o.paths.artifacts, to), databaseUrl, allowMigrateDown: o.env.rollback.allowMigrateDown });
  if (plan.action === 'migrate-down' || plan.action === 'keep') say(plan.reason);
  return {
    plan,
    async apply() {
      if (plan.action === 'keep') {
        await audit(o.store, { actor: currentActor(), env: o.envName, action: 'rollback.schema-kept', result: 'ok', details: { from, to, migrations: plan.steps, reason: plan.reason } });
        return;
      }
      if (plan.action !== 'migrate-down') return;
      const m = o.env.migrations;
      const reverted = await applySchemaRollback(plan, { artifactFrom, databaseUrl, lockTimeoutMs: m.lockTimeout, statementTimeoutMs: m.statementTimeout, retries: m.retries });
      await audit(o.store, { actor: currentActor(), env: o.envName, action: 'rollback.migrate-down', result: 'ok', details: { from, to, reverted } });
      say(`migrated down ${reverted.map((r) => `${r.version} (${r.durationMs} ms)`).join(', ')}`);
    },
  };
}
