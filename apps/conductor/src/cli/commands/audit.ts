import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { listAudit } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('audit')
    .description('the append-only audit log: who did what, when, and the result')
    .option('--env <name>', 'environment')
    .option('--release <id>', 'only this release')
    .option('--limit <n>', 'most recent entries', '100')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr audit --release r-20240601120000-ab12\n  $ npx ccr audit --json | jq \'.entries[] | select(.action == "analysis.failed")\'')
    .action(async (cmdOpts: GlobalOptions & { limit: string; release?: string }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { limit: string; release?: string }>(), ...cmdOpts };
      try {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CcrError('usage', '--limit must be an integer from 1 to 10000');
        const o = await openEnv(opts.env);
        try {
          const entries = await listAudit(o.store, { env: o.envName, ...(opts.release ? { releaseId: opts.release } : {}), limit });
          emit(opts, { env: o.envName, entries }, () =>
            entries.map((e) => `${e.at.slice(0, 23)}  ${e.actor.padEnd(20)} ${e.action.padEnd(22)} ${e.result}${e.releaseId ? `  [${e.releaseId}]` : ''}${Object.keys(e.details).length ? `\n    ${JSON.stringify(e.details)}` : ''}`).join('\n') || 'no audit entries');
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
