import type { StepType } from '../config/schema.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { GATE_OF_STEP, runGate } from '../gates/index.js';
import { judge, recordGate } from '../gates/record.js';

// The pre-deployment gates as plan steps: the same gates `ccr preflight` runs, judged against
// the environment's acceptCannotCheck, and recorded with the release (gate_results), so the
// release record shows each gate's evidence and every accepted "cannot check".

const STEP_TYPES: StepType[] = ['gate.code-freeze', 'gate.ci', 'gate.security', 'gate.config', 'gate.connectivity', 'gate.networking', 'gate.monitoring', 'gate.window'];

for (const type of STEP_TYPES) {
  const gate = GATE_OF_STEP[type]!;
  registerStep(type, {
    async reconcile(ctx) {
      const { paths } = ctx.services;
      const outsideWindow = ctx.release.options['outsideWindow'];
      const outcome = await runGate(gate, {
        envName: ctx.envName, env: ctx.env, gates: ctx.env.gates, ref: ctx.release.ref, repo: paths.projectRoot, artifactsDir: paths.artifacts, paths,
        store: ctx.store, now: () => new Date(), secrets: ctx.config.secrets, ...(typeof outsideWindow === 'string' && outsideWindow ? { outsideWindow } : {}),
      });
      const v = judge(outcome, ctx.env);
      await recordGate(ctx.store, v, { releaseId: ctx.release.id, env: ctx.envName, ref: ctx.release.ref, actor: ctx.actor });
      const data = { gate, result: v.result, accepted: v.acceptance?.reason ?? null, checks: v.checks };
      if (v.acceptance) {
        await ctx.audit('gate.cannot-check-accepted', v.acceptance.reason, { gate, summary: v.summary });
        return done(`cannot check, accepted for ${ctx.envName} ("${v.acceptance.reason}"): ${v.summary}`, data);
      }
      if (v.blocks) return fail(`${v.result === 'cannot-check' ? 'cannot check (not accepted for this environment)' : 'failed'}: ${v.summary}`, data);
      return done(v.summary, data);
    },
  });
}
