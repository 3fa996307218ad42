import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { IN_FLIGHT, listAudit } from '../../store/index.js';
import { attended, currentRelease, requestAndWait } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('promote')
    .description("skip the canary's remaining steps: the new version takes 100% of traffic at once")
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr promote --env local')
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const release = await currentRelease(o.store, o.envName);
          if (release.strategy !== 'canary') throw new CcrError('conflict', `release ${release.id} uses ${release.strategy}; only a canary has steps to skip`);
          if (!(await attended(o.store, o.envName))) throw new CcrError('conflict', `nobody is running ${release.id}; resume it first: ccr deploy --resume`);
          progress(opts, `asking the conductor of ${release.id} to promote`);
          const since = Date.now();
          const promoted = async () => (await listAudit(o.store, { releaseId: release.id, limit: 50 })).some((a) => a.action === 'canary.promote' && Date.parse(a.at) >= since - 2000);
          const final = await requestAndWait(o.store, o.envName, release, 'promote', async (r) => !IN_FLIGHT.includes(r.state) || (await promoted()), 120_000);
          const done = await promoted();
          emit(opts, { release: { id: release.id, version: release.version, state: final.state }, promoted: done }, () =>
            done ? `release ${release.id}: ${release.version} promoted to 100%, remaining canary steps skipped` : `release ${release.id} ended (${final.state}) before the promotion: ${final.reason}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
