import { z } from 'zod';
import type { RunServices } from '../engine/context.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { recordSmoke, runSmokeSuite, summarizeSmoke, SMOKE_CHECK_NAMES, type SmokeServices } from '../smoke/index.js';

// Plan step `smoke`: runs the built-in smoke suite against the release's version, pinned
// through the router, and stores each check's result in smoke_results.
//
//   - { id: smoke, kind: automated, type: smoke, title: Smoke tests,
//       params: { checks: [version, signup, login], timeoutMs: 5000 } }   # params optional
//
// The deploy command must put a SmokeServices under `services.smoke` (the pinned URL and
// headers for a version, and a smoke invite provider); without it the step fails, saying so.
// More smoke steps are hooks in rollout.yaml.

const params = z.strictObject({
  checks: z.array(z.enum(SMOKE_CHECK_NAMES as [string, ...string[]])).min(1).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
});

registerStep<RunServices & { smoke?: SmokeServices }>('smoke', {
  async reconcile(ctx, step) {
    const p = params.safeParse(step.params);
    if (!p.success) {
      const i = p.error.issues[0]!;
      return fail(`step ${step.id}: params.${i.path.join('.')}: ${i.message}`);
    }
    const version = ctx.release.version;
    if (!version) return fail('smoke: the release has no version yet (build the artifact first)');
    const services = ctx.services?.smoke;
    if (!services) return fail('smoke: no smoke services wired (the deploy command must provide services.smoke)');
    let target;
    try {
      target = await services.smokeTarget(version);
    } catch (err) {
      return fail(`smoke: no pinned route to ${version}: ${(err as Error).message}`);
    }
    const report = await runSmokeSuite({
      ...target,
      expectVersion: version,
      inviteCode: () => services.smokeInvite(),
      ...(p.data.timeoutMs ? { timeoutMs: p.data.timeoutMs } : {}),
      ...(p.data.checks ? { checks: p.data.checks } : {}),
    });
    await recordSmoke(ctx.store, ctx.release.id, report);
    for (const c of report.checks) {
      ctx.progress({ type: 'log', level: c.ok ? 'info' : 'error', message: `smoke ${c.name}: ${c.ok ? `ok in ${c.durationMs} ms` : c.error}` });
    }
    const summary = summarizeSmoke(report);
    const data = { smoke: { ok: report.ok, durationMs: report.durationMs, checks: report.checks.map((c) => ({ name: c.name, ok: c.ok, durationMs: c.durationMs })) } };
    return report.ok ? done(summary, data) : fail(summary, data);
  },
});
