import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { audit, currentActor, updateRelease } from '../../store/index.js';
import { currentRelease } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

// pause and resume: the release's state is the switch; the conductor running it checks it
// before every reconcile, so a paused canary holds its current weight.
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
          const r = await currentRelease(o.store, o.envName);
          if (name === 'pause' && r.state !== 'running' && r.state !== 'waiting') throw new CcrError('conflict', `release ${r.id} is ${r.state}; only a running release can be paused`);
          if (name === 'resume' && r.state !== 'paused') throw new CcrError('conflict', `release ${r.id} is ${r.state}, not paused`);
          const next = await updateRelease(o.store, r.id, { state: name === 'pause' ? 'paused' : 'running', reason: name === 'pause' ? `paused by ${currentActor()}` : `resumed by ${currentActor()}` });
          await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: r.id, action: `release.${name}`, result: 'ok', details: { step: r.step } });
          emit(opts, { release: { id: next.id, state: next.state, step: next.step } }, () => `release ${next.id} ${next.state} at ${next.step ?? next.phase}`);
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
