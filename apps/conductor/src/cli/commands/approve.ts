import type { Command } from 'commander';
import { approve } from '../../engine/approvals.js';
import { CcrError } from '../../errors.js';
import { nearest } from '../../suggest.js';
import { resolvePlan } from '../../plan/resolve.js';
import { audit, currentActor } from '../../store/index.js';
import { currentRelease } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('approve')
    .description('sign off a manual step of the release in flight; the audit log records who and when')
    .argument('<step>', 'the manual step id, as `ccr plan` lists it')
    .requiredOption('--note <text>', 'what was checked')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr approve final-code-review --note "reviewed PR #412 and #415" --env production')
    .action(async (stepId: string, cmdOpts: GlobalOptions & { note: string }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { note: string }>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const step = resolvePlan(o.config, o.envName).find((s) => s.step.id === stepId);
          if (!step) {
            const guess = nearest(stepId, resolvePlan(o.config, o.envName).filter((s) => s.step.kind === 'manual').map((s) => s.step.id));
            throw new CcrError('usage', `no step "${stepId}" in the ${o.envName} plan${guess ? `: did you mean ${guess}?` : ''}`);
          }
          if (step.step.kind !== 'manual') throw new CcrError('usage', `step "${stepId}" is ${step.step.kind}, not a manual sign-off`);
          const r = await currentRelease(o.store, o.envName);
          const fresh = await approve(o.store, r.id, stepId, currentActor(), opts.note);
          await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: r.id, action: 'approve', result: fresh ? 'ok' : 'already approved', details: { step: stepId, note: opts.note } });
          emit(opts, { release: r.id, step: stepId, approvedBy: currentActor(), new: fresh }, () => `${stepId} of ${r.id} ${fresh ? 'signed off' : 'was already signed off'} by ${currentActor()}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
