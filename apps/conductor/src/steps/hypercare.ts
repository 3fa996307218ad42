import { registerStep } from '../engine/registry.js';
import { reconcileHypercare } from '../hypercare/watch.js';
import type { DeployServices } from '../engine/deploy-context.js';

// Plan step `hypercare`: watches the promoted version; see hypercare/watch.ts and params.ts.
registerStep<DeployServices>('hypercare', { reconcile: reconcileHypercare });
