import { registerStep } from '../engine/registry.js';
import { fail } from '../engine/step-result.js';
import { reconcileStrategy } from '../strategies/index.js';
import type { DeployServices } from '../engine/deploy-context.js';

// deploy.backend: the release's strategy (blue-green, canary or rolling) moves the api.
registerStep<DeployServices>('deploy.backend', {
  async reconcile(ctx, step) {
    if (!ctx.release.version) return fail('no artifact yet: the build step has not run');
    return reconcileStrategy(ctx, step.id);
  },
});
