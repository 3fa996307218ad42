import type { Command } from 'commander';
import { IN_FLIGHT } from '../../store/index.js';
import { readCanary } from '../../strategies/canary-state.js';
import { mustBeApplied, requestAndApply, waitForRelease } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('promote')
    .description("skip the canary's remaining steps: the new version takes 100% of traffic at once")
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Recorded as a control request and applied by whoever drives the release; this waits until the
canary is at 100% (or the release has ended). A release nobody drives is promoted when it is
driven again (a controller takes it over, or ccr deploy --resume).

Example:
  $ npx ccr promote --env local`)
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const a = await requestAndApply(o, { action: 'promote' }, opts, 60_000);
          mustBeApplied(a);
          const id = a.request.releaseId!;
          const final = a.appliedHere ? a.release! : await waitForRelease(o, id, (r) => !IN_FLIGHT.includes(r.state) || readCanary(r)?.weight === 100, 120_000);
          const promoted = readCanary(final)?.weight === 100 || final.state === 'promoted';
          emit(opts, { release: { id, version: final.version, state: final.state }, promoted, request: a.request }, () =>
            promoted ? `release ${id}: ${final.version} promoted to 100%, remaining canary steps skipped`
              : a.appliedHere ? `release ${id}: promotion recorded; nobody drives it now, it takes effect when it is driven again`
                : `release ${id} ended (${final.state}) before the promotion: ${final.reason}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
