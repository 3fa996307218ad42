import { registerStep } from '../engine/registry.js';
import { reconcileFrontend } from '../strategies/frontend.js';
import type { DeployServices } from '../engine/deploy-context.js';

// deploy.frontend: the web service follows the api (strategies/frontend.ts).
registerStep<DeployServices>('deploy.frontend', {
  reconcile: (ctx) => reconcileFrontend(ctx),
});
