import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { currentActor, forceReleaseLock, lockStatus } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  const lock = program
    .command('lock')
    .description("the environment's rollout lock (advisory lock + lease with a heartbeat)")
    .addHelpText('after', '\nExample:\n  $ npx ccr lock status\n  $ npx ccr lock release --force --reason "conductor host died"');
  lock
    .command('status')
    .description('who holds the lock, since when, last heartbeat')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr lock status --json')
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const info = await lockStatus(o.store, o.envName);
          emit(opts, { env: o.envName, lock: info }, () =>
            info ? `${o.envName}: ${info.state} by ${info.owner} (pid ${info.pid} on ${info.host}${info.releaseId ? `, release ${info.releaseId}` : ''}), since ${info.acquiredAt}, heartbeat ${info.heartbeatAt}` : `${o.envName}: free`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
  lock
    .command('release')
    .description("break the lock of a conductor that is gone (audited); its database session is ended")
    .option('--force', 'required: you are sure the holder is gone or must be stopped')
    .option('--reason <text>', 'why, for the audit log', 'forced from the command line')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr lock release --force --reason "host rebooted mid-deploy"')
    .action(async (cmdOpts: GlobalOptions & { force?: boolean; reason: string }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { force?: boolean; reason: string }>(), ...cmdOpts };
      try {
        if (!opts.force) throw new CcrError('usage', 'releasing a lock needs --force (it ends the holder\'s session)');
        const o = await openEnv(opts.env);
        try {
          const was = await forceReleaseLock(o.store, o.envName, currentActor(), opts.reason);
          emit(opts, { env: o.envName, released: was }, () => (was ? `released the lock of ${o.envName} held by ${was.owner} (pid ${was.pid}); audited` : `${o.envName}: the lock was free`));
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
