import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import type { DeployServices } from '../strategies/services.js';

// migrate: the artifact's own migrate CLI (api/migrate.mjs up --json) runs once, under the
// migrator's advisory lock, before any instance of the new version starts. Each migration
// runs in its own transaction, so a failure leaves the database at the last good migration
// and, with no traffic moved yet, the deploy ends with exit 2.
registerStep<DeployServices>('migrate', {
  async reconcile(ctx) {
    const version = ctx.release.version;
    if (!version) return fail('no artifact yet: the build step has not run');
    const started = Date.now();
    try {
      const r = await ctx.services.artifacts.migrate(version);
      return done(r.applied ? `applied ${r.applied} migration(s) of ${version} in ${Date.now() - started} ms` : `schema already at ${version}'s migrations`, { applied: r.applied });
    } catch (err) {
      return fail(`migrations of ${version} failed; the database stays at the last migration that succeeded: ${(err as Error).message}`);
    }
  },
});
