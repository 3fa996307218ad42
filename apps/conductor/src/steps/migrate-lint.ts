import { join } from 'node:path';
import { loadArtifact } from '../artifacts/store.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { errorMessage } from '../errors.js';
import { describeHazards, lintMigrations } from '../schema/lint.js';

// migrate.lint: squawk over the release artifact's pending migrations. The acknowledgements
// are recorded in the release (data.migrationLint and the audit log); an acknowledged
// destructive change marks the release roll-forward-only.
registerStep('migrate.lint', {
  async reconcile(ctx) {
    const version = ctx.release.version;
    if (!version) return fail('no artifact yet: the build step has not run');
    const { paths } = ctx.services;
    try {
      const artifact = loadArtifact(paths.artifacts, version);
      const r = await lintMigrations({
        dir: join(artifact.dir, artifact.manifest.migrationsDir), databaseUrl: ctx.services.databaseUrl,
        lockTimeoutMs: ctx.env.migrations.lockTimeout, statementTimeoutMs: ctx.env.migrations.statementTimeout,
      });
      const summary = { linted: r.linted, acknowledgements: r.acknowledgements, hazards: r.hazards.length, advice: r.advice.length, rollForwardOnly: r.rollForwardOnly };
      await ctx.update({ data: { migrationLint: summary }, ...(r.rollForwardOnly ? { rollForwardOnly: true } : {}) });
      for (const a of r.acknowledgements) await ctx.audit('migration.acknowledged', a.hazard ?? 'advice', { ...a });
      if (!r.ok) return fail(`migration hazards: ${describeHazards(r).join(' | ')}`, { hazards: r.hazards, invalidAcks: r.invalidAcks });
      const acked = r.acknowledgements.length ? `; ${r.acknowledgements.length} acknowledged (${r.acknowledgements.map((a) => `${a.migration}: ${a.rule}`).join(', ')})` : '';
      return done(`${r.linted.length} pending migration(s) linted, no unacknowledged hazard${acked}${r.rollForwardOnly ? '; destructive change acknowledged: release is roll-forward-only' : ''}`, summary);
    } catch (err) {
      return fail(`migration lint could not run: ${errorMessage(err)}`);
    }
  },
});
