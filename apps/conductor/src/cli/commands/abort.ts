import type { Command } from 'commander';
import { IN_FLIGHT } from '../../store/index.js';
import { loadStepImplementations } from '../../steps/index.js';
import { attended, currentRelease, requestAndWait, writeControl } from '../control.js';
import { progressSink } from '../deploy-progress.js';
import { openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';
import { acquireLock, runInCharge } from '../run-release.js';

export function register(program: Command): void {
  program
    .command('abort')
    .description('stop the release in flight: traffic goes back to the stable version (rolled back) or the new instances are cleaned up')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
If the conductor running the release is alive, it is asked to abort and this waits for it.
If it is gone (killed), this command takes the lock and brings the environment back itself.

Example:
  $ npx ccr status && npx ccr abort --env local`)
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        await loadStepImplementations();
        const o = await openEnv(opts.env);
        try {
          const release = await currentRelease(o.store, o.envName);
          let final;
          if (await attended(o.store, o.envName)) {
            progress(opts, `asking the conductor of ${release.id} to abort`);
            final = await requestAndWait(o.store, o.envName, release, 'abort', (r) => !IN_FLIGHT.includes(r.state), 180_000);
          } else {
            progress(opts, `${release.id} has nobody in charge: taking over to abort it`);
            const lock = await acquireLock(o, release.id);
            try {
              await writeControl(o.store, release.id, 'abort');
              const fresh = await currentRelease(o.store, o.envName);
              const outcome = await runInCharge(o, lock, fresh, progressSink(opts), (m) => progress(opts, `warning: ${m}`));
              final = { ...fresh, state: outcome.state, reason: outcome.reason };
            } finally {
              await lock.release().catch(() => undefined);
            }
          }
          emit(opts, { release: { id: final.id, version: final.version, state: final.state, reason: final.reason } }, () => `release ${final.id} ${final.state}: ${final.reason}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
