import type { Command } from 'commander';
import { IN_FLIGHT } from '../../store/index.js';
import { loadStepImplementations } from '../../steps/index.js';
import { mustBeApplied, requestAndApply, waitForRelease } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('abort')
    .description('stop the release in flight: traffic goes back to the stable version (rolled back) or the new instances are cleaned up')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
The abort is recorded as a control request. Whoever drives the release (the controller, or a
ccr deploy running it in-process) applies it and rolls back; this waits until the release has
ended. If nobody drives it, this command takes the lock and brings the environment back itself.

Example:
  $ npx ccr status && npx ccr abort --env local`)
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        await loadStepImplementations();
        const o = await openEnv(opts.env);
        try {
          const a = await requestAndApply(o, { action: 'abort' }, opts, 60_000);
          mustBeApplied(a);
          const final = await waitForRelease(o, a.request.releaseId!, (r) => !IN_FLIGHT.includes(r.state), 180_000);
          emit(opts, { release: { id: final.id, version: final.version, state: final.state, reason: final.reason }, request: a.request }, () => `release ${final.id} ${final.state}: ${final.reason}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
