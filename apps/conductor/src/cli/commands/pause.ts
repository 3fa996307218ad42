import type { Command } from 'commander';
import { mustBeApplied, requestAndApply } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

// pause and resume: control requests applied by whoever drives the release, which checks
// them before every reconcile, so a paused canary holds its current weight.
function registerOne(program: Command, name: 'pause' | 'resume'): void {
  program
    .command(name)
    .description(name === 'pause' ? 'hold the release in flight at its current step and traffic weights' : 'continue a paused release')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `\nExample:\n  $ npx ccr ${name} --env local`)
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const a = await requestAndApply(o, { action: name }, opts, 30_000);
          mustBeApplied(a);
          const r = a.release!;
          emit(opts, { release: { id: r.id, state: r.state, step: r.step }, request: a.request }, () => `release ${r.id} ${r.state} at ${r.step ?? r.phase}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}

export function register(program: Command): void {
  registerOne(program, 'pause');
}

export function registerResume(program: Command): void {
  registerOne(program, 'resume');
}
