import { done, fail, skipped, wait, type StepResult } from '../engine/step-result.js';
import { data, type DeployContext } from '../engine/deploy-context.js';
import { shiftTraffic } from './traffic.js';

// Frontend: after the API (the seed's order), the web service switches to the new version's
// index.html. The previous version stays attached at weight 0, so pages already loaded keep
// getting their own hashed assets (the router retries an asset 404 on other versions), and
// the new version's assets are there from the start. Done once the index.html users get
// carries the new version.

const META = /<meta\b[^>]*\bname\s*=\s*["']cc-version["'][^>]*\bcontent\s*=\s*["']([^"']*)["']/i;

export async function servedWebVersion(baseUrl: string): Promise<string | null> {
  const res = await fetch(new URL('/', baseUrl), { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(5000) });
  const html = await res.text();
  return META.exec(html)?.[1] ?? null;
}

export async function reconcileFrontend(ctx: DeployContext): Promise<StepResult> {
  const version = ctx.release.version;
  if (!version) return fail('no version to deploy');
  if (!ctx.services.artifacts.hasWeb(version)) return skipped(`${version} has no web assets; the web service is left as it is`);
  const stable = data(ctx).stable ?? null;
  const view = await ctx.services.target.traffic();
  if (view.split.web[version] !== 100) {
    await shiftTraffic(ctx, { web: { [version]: 100, ...(stable ? { [stable]: 0 } : {}) } }, 'frontend switch');
  }
  const served = await servedWebVersion(ctx.services.target.publicUrl()).catch((err: Error) => `error: ${err.message}`);
  if (served === version) return done(`index.html served at ${ctx.services.target.publicUrl()} carries ${version}${stable ? `; ${stable}'s hashed assets stay servable` : ''}`);
  const tries = ((ctx.release.data['frontendChecks'] as number | undefined) ?? 0) + 1;
  await ctx.update({ data: { frontendChecks: tries } });
  if (tries >= 10) return fail(`index.html served at ${ctx.services.target.publicUrl()} says ${served ?? 'no cc-version'}, expected ${version}`);
  return wait(`index.html says ${served ?? 'no cc-version'}, expected ${version}; checking again`, 500);
}
