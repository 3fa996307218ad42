import { join } from 'node:path';
import { loadArtifact } from '../artifacts/store.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { errorMessage } from '../errors.js';
import { artifactSmoke } from '../schema/old-version-smoke.js';
import { describeRehearsal, rehearse } from '../schema/rehearse.js';

// migrate.rehearse: the release's migrations on a restored copy, with production timeouts,
// then the previous version's smoke tests on the migrated schema. When the old version fails
// there, old and new cannot share the database: no canary, blue/green or rolling overlap —
// the release becomes roll-forward-only and must run inside maintenance mode.
registerStep('migrate.rehearse', {
  async reconcile(ctx) {
    const version = ctx.release.version;
    if (!version) return fail('no artifact yet: the build step has not run');
    const { paths, databaseUrl: url } = ctx.services;
    if (!url) return fail(`environment ${ctx.envName} has no database URL`);
    try {
      const artifact = loadArtifact(paths.artifacts, version);
      const stable = (ctx.release.data['stable'] as string | null | undefined) ?? ctx.release.previousVersion;
      const old = stable && stable !== version ? loadArtifact(paths.artifacts, stable) : null;
      const m = ctx.env.migrations;
      const r = await rehearse({
        store: ctx.store, env: ctx.envName, serverUrl: url, migrationsDir: join(artifact.dir, artifact.manifest.migrationsDir),
        lockTimeoutMs: m.lockTimeout, statementTimeoutMs: m.statementTimeout, retries: m.retries, jobs: ctx.env.backup.jobs,
        progress: (l) => ctx.progress({ type: 'log', level: 'info', message: l }), ...(old ? { oldVersionSmoke: artifactSmoke(old) } : {}),
      });
      // oldVersion: which version the expand/contract verdict is about (rollback reads it)
      const summary = { migrations: r.migrations, failure: r.failure, expandContract: r.expandContract, oldVersion: r.smoke?.version ?? null, smokeDetail: r.smoke?.detail ?? null, backupId: r.backupId };
      await ctx.update({ data: { rehearsal: summary }, ...(r.expandContract === 'incompatible' ? { rollForwardOnly: true } : {}) });
      if (r.failure) return fail(describeRehearsal(r).replace(/\n/g, ' | '), summary);
      if (r.expandContract === 'incompatible' && !ctx.env.maintenance.wrapDeploy) {
        return fail(`old version ${r.smoke?.version} fails its smoke tests on the migrated schema (${r.smoke?.detail}); this release cannot share the database with it: it is roll-forward-only and must run with maintenance mode (set environments.${ctx.envName}.maintenance.wrapDeploy: true)`, summary);
      }
      return done(describeRehearsal(r).split('\n').join(' | '), summary);
    } catch (err) {
      return fail(`rehearsal could not run: ${errorMessage(err)}`);
    }
  },
});
