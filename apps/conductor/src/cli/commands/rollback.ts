import type { Command } from 'commander';
import { describeRollback } from '../../service/env-rollback.js';
import { openEnv } from '../open-env.js';
import { mustBeApplied, requestAndApply } from '../control.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('rollback')
    .description('put all traffic back on the previous version: one router switch when it is still warm, else it starts first; audited and announced')
    .option('--to <version>', 'roll back to this version instead of the previous one (its artifact must exist)')
    .option('--keep', 'keep the current version running (at weight 0) instead of stopping it')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
For a release still in flight, use \`ccr abort\` instead. The rollback is a control request on
the environment, applied by whoever holds its lock: this command when it can take the lock,
otherwise the controller holding it (this waits for it).

Example:
  $ npx ccr rollback
  $ npx ccr rollback --to v1.4.2 --json`)
    .action(async (cmdOpts: GlobalOptions & { to?: string; keep?: boolean }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { to?: string; keep?: boolean }>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const a = await requestAndApply(o, { action: 'rollback', params: { ...(opts.to ? { to: opts.to } : {}), ...(opts.keep ? { keep: true } : {}) } }, opts, 120_000);
          mustBeApplied(a);
          const r = a.rollback;
          if (r) emit(opts, { env: r.env, to: r.to, from: r.from, warm: r.warm, switchMs: r.switchMs, stoppedFrom: r.stoppedFrom, split: r.split, schema: r.schema, request: a.request }, () => describeRollback(r));
          else emit(opts, { env: o.envName, request: a.request }, () => `${o.envName}: ${a.request.result}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
