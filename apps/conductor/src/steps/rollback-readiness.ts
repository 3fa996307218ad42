import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { data, type DeployServices } from '../engine/deploy-context.js';

// gate.rollback-readiness (seed I.4): before anything changes, the version to roll back to is
// known, carries all traffic, and its artifact is on hand and intact, so a rollback can start
// it again even after its instances were stopped.
registerStep<DeployServices>('gate.rollback-readiness', {
  async reconcile(ctx) {
    const stable = data(ctx).stable ?? null;
    const view = await ctx.services.target.traffic();
    if (!stable) {
      const versions = Object.keys(view.split.api);
      if (versions.length > 1) return fail(`api traffic is split between ${versions.join(', ')}; finish or abort that first (ccr status)`);
      return done('first release of this environment: there is no earlier version to roll back to');
    }
    if (view.split.api[stable] !== 100 && ctx.release.data['trafficMoved'] !== true) {
      return fail(`stable version ${stable} does not carry all api traffic (split: ${JSON.stringify(view.split.api)})`);
    }
    if (!ctx.services.artifacts.has(stable)) return fail(`the artifact of the stable version ${stable} is missing, so it could not be started again for a rollback`);
    const v = await ctx.services.artifacts.verify(stable);
    if (!v.ok) return fail(`the artifact of the stable version ${stable} is damaged: ${v.problems.slice(0, 3).join('; ')}`);
    const warm = (await ctx.services.target.instances()).filter((i) => i.version === stable && i.state !== 'stopping').length;
    return done(`rollback target ${stable}: ${warm} instance(s) warm, artifact verified (${v.checked} files)`, { stable, warm });
  },
});
