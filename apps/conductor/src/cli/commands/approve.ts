import type { Command } from 'commander';
import { mustBeApplied, requestAndApply } from '../control.js';
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
    .action(async (stepId: string, cmdOpts: { note: string } & GlobalOptions, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { note: string }>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const a = await requestAndApply(o, { action: 'approve', params: { step: stepId, note: opts.note } }, opts, 30_000);
          mustBeApplied(a);
          const r = await o.store.query('SELECT actor FROM approvals WHERE release_id = $1 AND step_id = $2', [a.request.releaseId, stepId]);
          const by = (r.rows[0]?.actor as string | undefined) ?? a.request.identity;
          const fresh = by === a.request.identity;
          emit(opts, { release: a.request.releaseId, step: stepId, approvedBy: by, new: fresh, request: a.request }, () =>
            `${stepId} of ${a.request.releaseId} ${fresh ? 'signed off' : 'was already signed off'} by ${by}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
