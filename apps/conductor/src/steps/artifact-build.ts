import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import type { DeployServices } from '../engine/deploy-context.js';

// artifact.build: the release's git ref becomes an immutable artifact; its version and commit
// are recorded on the release. Re-running finds the artifact and does nothing.
registerStep<DeployServices>('artifact.build', {
  async reconcile(ctx) {
    const a = ctx.services.artifacts;
    if (ctx.release.version && a.has(ctx.release.version)) return done(`artifact ${ctx.release.version} (${ctx.release.commit?.slice(0, 12) ?? '?'}) is built`);
    try {
      const r = await a.build(ctx.release.ref, (line) => ctx.progress({ type: 'log', level: 'info', message: `build: ${line}` }));
      await ctx.update({ version: r.version, commit: r.commit });
      // Image digests (when `ccr build --images` pushed them) go on the release record, so a
      // rollback can redeploy exactly those bytes.
      const images = a.images?.(r.version) ?? null;
      return done(`${r.built ? 'built' : 'reused'} artifact ${r.version} (${r.commit.slice(0, 12)}) from ${ctx.release.ref}${images ? `; images ${images.api}, ${images.web}` : ''}`, { version: r.version, commit: r.commit, ...(images ? { images } : {}) });
    } catch (err) {
      return fail(`building ${ctx.release.ref} failed: ${(err as Error).message}`);
    }
  },
});
