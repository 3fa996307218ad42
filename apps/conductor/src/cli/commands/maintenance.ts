import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { audit, currentActor } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('maintenance')
    .description('turn the maintenance page on or off (503 + Retry-After; pinned smoke requests still pass)')
    .argument('<on|off>', 'on or off')
    .option('--message <text>', 'what users see')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr maintenance on --message "Upgrading the database, back at 14:30 UTC"\n  $ npx ccr maintenance off')
    .action(async (mode: string, cmdOpts: GlobalOptions & { message?: string }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { message?: string }>(), ...cmdOpts };
      try {
        if (mode !== 'on' && mode !== 'off') throw new CcrError('usage', 'say `on` or `off`');
        const o = await openEnv(opts.env);
        try {
          const message = opts.message ?? o.env.maintenance.message;
          await o.target().setMaintenance(mode === 'on', mode === 'on' ? message : undefined);
          await audit(o.store, { actor: currentActor(), env: o.envName, action: `maintenance.${mode}`, result: 'ok', details: mode === 'on' ? { message } : {} });
          const view = await o.target().traffic();
          emit(opts, { env: o.envName, maintenance: view.maintenance }, () => `maintenance ${view.maintenance.enabled ? `ON: "${view.maintenance.message ?? ''}"` : 'off'}`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
