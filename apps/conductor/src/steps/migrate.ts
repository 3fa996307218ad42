import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import type { DeployServices } from '../engine/deploy-context.js';

// migrate: the artifact's own migrate CLI (api/migrate.mjs up --json) runs once, under the
// migrator's advisory lock, before any instance of the new version starts, with the
// environment's lock_timeout / statement_timeout and retries on lock_timeout. Each migration
// runs in its own transaction, so a failure leaves the database at the last good migration
// and, with no traffic moved yet, the deploy ends with exit 2. Each one's duration is recorded.
registerStep<DeployServices>('migrate', {
  async reconcile(ctx) {
    const version = ctx.release.version;
    if (!version) return fail('no artifact yet: the build step has not run');
    const started = Date.now();
    const m = ctx.env.migrations;
    try {
      const r = await ctx.services.artifacts.migrate(version, {
        lockTimeoutMs: m.lockTimeout, statementTimeoutMs: m.statementTimeout, retries: m.retries,
        onRetry: (attempt, message) => ctx.progress({ type: 'log', level: 'warn', message: `migrations hit lock_timeout (attempt ${attempt} of ${m.retries + 1}), retrying: ${message}` }),
      });
      const steps = r.steps ?? [];
      if (steps.length) await ctx.update({ data: { migrations: steps } });
      const timing = steps.map((s) => `${String(s.version).padStart(4, '0')}_${s.name} ${s.durationMs} ms`).join(', ');
      return done(r.applied ? `applied ${r.applied} migration(s) of ${version} in ${Date.now() - started} ms${timing ? `: ${timing}` : ''}` : `schema already at ${version}'s migrations`, { applied: r.applied, migrations: steps });
    } catch (err) {
      return fail(`migrations of ${version} failed; the database stays at the last migration that succeeded: ${(err as Error).message}`);
    }
  },
});
