import { recordSmoke, runSmokeSuite, summarizeSmoke } from '../smoke/index.js';
import type { DeployContext } from '../engine/deploy-context.js';

/** The smoke suite pinned to a version before it gets user traffic; results are stored. */
export async function pinnedSmoke(ctx: DeployContext, version: string): Promise<{ ok: boolean; summary: string }> {
  const smoke = ctx.services.smoke;
  if (!smoke) return { ok: false, summary: 'no smoke services wired, so the pre-traffic smoke tests cannot run' };
  const target = await smoke.smokeTarget(version);
  const report = await runSmokeSuite({ ...target, expectVersion: version, inviteCode: () => smoke.smokeInvite() });
  await recordSmoke(ctx.store, ctx.release.id, report);
  for (const c of report.checks) ctx.progress({ type: 'log', level: c.ok ? 'info' : 'error', message: `smoke ${c.name} (pinned to ${version}): ${c.ok ? `ok in ${c.durationMs} ms` : c.error}` });
  return { ok: report.ok, summary: summarizeSmoke(report) };
}
