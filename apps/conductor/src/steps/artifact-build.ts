import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import type { DeployServices } from '../strategies/services.js';

// artifact.build: the release's git ref becomes an immutable artifact; its version and commit
// are recorded on the release. Re-running finds the artifact and does nothing.
registerStep<DeployServices>('artifact.build', {
  async reconcile(ctx) {
    const a = ctx.services.artifacts;
    if (ctx.release.version && a.has(ctx.release.version)) return done(`artifact ${ctx.release.version} (${ctx.release.commit?.slice(0, 12) ?? '?'}) is built`);
    try {
      const r = await a.build(ctx.release.ref, (line) => ctx.progress({ type: 'log', level: 'info', message: `build: ${line}` }));
      await ctx.update({ version: r.version, commit: r.commit });
      return done(`${r.built ? 'built' : 'reused'} artifact ${r.version} (${r.commit.slice(0, 12)}) from ${ctx.release.ref}`, { version: r.version, commit: r.commit });
    } catch (err) {
      return fail(`building ${ctx.release.ref} failed: ${(err as Error).message}`);
    }
  },
});
