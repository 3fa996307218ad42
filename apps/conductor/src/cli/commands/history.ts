import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { releasePhase } from '../../service/release-phase.js';
import { getSteps, listReleases, lockStatus, pendingControlRequests } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('history')
    .description("an environment's releases, newest first, with their outcome and reason")
    .option('--env <name>', 'environment')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr history --limit 5\n  $ npx ccr history --json | jq ".releases[0]"')
    .action(async (cmdOpts: GlobalOptions & { limit: string }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { limit: string }>(), ...cmdOpts };
      try {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CcrError('usage', '--limit must be an integer from 1 to 1000');
        const o = await openEnv(opts.env);
        try {
          const lock = await lockStatus(o.store, o.envName);
          const releases = await Promise.all((await listReleases(o.store, o.envName, limit)).map(async (r) => ({
            ...r,
            status: releasePhase(r, await getSteps(o.store, r.id), await pendingControlRequests(o.store, { env: o.envName, releaseId: r.id }), lock),
          })));
          emit(opts, { env: o.envName, releases }, () =>
            releases.length
              ? releases.map((r) => `${r.createdAt.slice(0, 19)}  ${r.id}  ${(r.version ?? r.ref).padEnd(14)} ${r.strategy.padEnd(10)} ${r.status.phase.padEnd(11)} ${r.startedBy}\n    ${r.status.reason}`).join('\n')
              : `no releases of ${o.envName} yet`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
