import { isImplemented, registerStep } from '../engine/registry.js';
import { done } from '../engine/step-result.js';
import type { DeployServices } from '../strategies/services.js';

// report: until the release-record issue delivers the full report, this step writes the
// essentials into the release (what ran, how long, the stable version it replaced) so the
// plan does not fail at its last step. It says plainly that it is the minimal record.
if (!isImplemented('report')) {
  registerStep<DeployServices>('report', {
    async reconcile(ctx) {
      const r = await ctx.store.query('SELECT step_id, status, reason FROM release_steps WHERE release_id = $1 ORDER BY started_at', [ctx.release.id]);
      const m = await ctx.store.query('SELECT count(*)::int AS n FROM measurements WHERE release_id = $1', [ctx.release.id]);
      const record = { steps: r.rows.length, measurements: m.rows[0].n, version: ctx.release.version, replaced: ctx.release.data['stable'] ?? null, durationMs: Date.now() - Date.parse(ctx.release.createdAt) };
      await ctx.update({ data: { record } });
      return done(`minimal release record: ${record.steps} steps, ${record.measurements} measurements, ${Math.round(record.durationMs / 1000)} s (full report: later issue)`);
    },
  });
}
