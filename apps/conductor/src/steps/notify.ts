import { z } from 'zod';
import type { RunServices } from '../engine/context.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { createNotifier, NOTIFY_EVENTS, type Notifier } from '../notify/index.js';

// Plan step `notify`: sends one status update through the environment's channels.
//
//   - { id: announce, kind: automated, type: notify, title: Tell the team,
//       params: { template: started } }          # also: percent (progress), reason
//
// A notification never fails a release: a channel that cannot be reached is recorded in the
// notifications table (ok = false, with the error) and the step is done with a "warning:"
// reason naming it. No channels configured is done too, saying so. `services.notifier`, when
// the deploy command provides one, is used instead of building it from the configuration.

const params = z.strictObject({
  template: z.enum(NOTIFY_EVENTS),
  percent: z.number().min(0).max(100).optional(),
  reason: z.string().max(500).optional(),
});

registerStep<RunServices & { notifier?: Notifier }>('notify', {
  async reconcile(ctx, step) {
    const p = params.safeParse(step.params);
    if (!p.success) {
      const i = p.error.issues[0]!;
      return fail(`step ${step.id}: params.${i.path.join('.') || 'template'}: ${i.message}`);
    }
    const notifier = ctx.services?.notifier ?? createNotifier(ctx.env, ctx.store);
    if (notifier.channels.length === 0) return done('no channels configured');
    const { release } = ctx;
    const report = await notifier.notify(p.data.template, {
      releaseId: release.id,
      env: ctx.envName,
      version: release.version,
      previousVersion: release.previousVersion,
      // release.reason is the running step's title here, so only an explicit reason is sent
      ...(p.data.reason ? { reason: p.data.reason } : {}),
      ...(p.data.percent !== undefined ? { percent: p.data.percent } : {}),
    });
    const data = { notify: { event: report.event, deliveries: report.deliveries } };
    const failed = report.deliveries.filter((d) => !d.ok);
    if (report.deliveries.length === 0) return done(`${p.data.template}: no channel subscribes to this event`, data);
    if (failed.length === 0) return done(`${p.data.template} sent to ${report.deliveries.length} channel(s)`, data);
    for (const d of failed) ctx.progress({ type: 'log', level: 'warn', message: `notification to ${d.channel} failed: ${d.error}` });
    await ctx.audit('notify.failed', 'warning', { event: report.event, failed });
    return done(
      `warning: ${p.data.template} failed on ${failed.length} of ${report.deliveries.length} channel(s): ${failed.map((d) => `${d.channel} (${d.error})`).join('; ')}`,
      data,
    );
  },
});
