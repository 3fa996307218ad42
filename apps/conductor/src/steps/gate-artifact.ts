import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import type { DeployServices } from '../engine/deploy-context.js';

// gate.artifact: every file of the artifact still hashes to its manifest (nothing edited
// since the build), checked right before it is deployed.
registerStep<DeployServices>('gate.artifact', {
  async reconcile(ctx) {
    const version = ctx.release.version;
    if (!version) return fail('no artifact yet: the build step has not run');
    const r = await ctx.services.artifacts.verify(version);
    if (!r.ok) return fail(`artifact ${version} does not match its manifest: ${r.problems.slice(0, 5).join('; ')}`);
    return done(`artifact ${version}: ${r.checked} files match their sha256`);
  },
});
