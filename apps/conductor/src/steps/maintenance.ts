import { registerStep } from '../engine/registry.js';
import { done, skipped } from '../engine/step-result.js';
import { data, type DeployContext, type DeployServices } from '../engine/deploy-context.js';

// maintenance.on/off (seed II.1 and II.6): only when the plan wraps the deploy
// (maintenance.wrapDeploy) or the deploy was started with --maintenance. Pinned smoke
// requests bypass the page, so the release is still tested while users see it.

const wanted = (ctx: DeployContext) => ctx.env.maintenance.wrapDeploy || ctx.release.options['maintenance'] === true;

registerStep<DeployServices>('maintenance.on', {
  async reconcile(ctx) {
    if (!wanted(ctx)) return skipped('the deploy is not wrapped in maintenance mode (maintenance.wrapDeploy or --maintenance)');
    await ctx.update({ data: { maintenanceOn: true } });
    await ctx.services.target.setMaintenance(true, ctx.env.maintenance.message);
    await ctx.audit('maintenance.on', 'ok', { message: ctx.env.maintenance.message });
    return done(`maintenance page on: "${ctx.env.maintenance.message}"`);
  },
});

registerStep<DeployServices>('maintenance.off', {
  async reconcile(ctx) {
    if (data(ctx).maintenanceOn !== true) return skipped('maintenance mode was not turned on by this release');
    await ctx.services.target.setMaintenance(false);
    await ctx.update({ data: { maintenanceOn: false } });
    await ctx.audit('maintenance.off', 'ok', {});
    return done('maintenance page off');
  },
});
