import type { Command } from 'commander';
import { resolveRef } from '../../artifacts/git.js';
import { CcrError } from '../../errors.js';
import { activeFreeze, endFreeze, startFreeze } from '../../gates/freeze-store.js';
import { currentActor } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

interface FreezeOptions extends GlobalOptions { reason?: string }

async function withStore<T>(opts: GlobalOptions, work: (o: Awaited<ReturnType<typeof openEnv>>) => Promise<T>): Promise<T> {
  const o = await openEnv(opts.env);
  try {
    return await work(o);
  } finally {
    await o.close();
  }
}

export function register(program: Command): void {
  const freeze = program
    .command('freeze')
    .description('code freeze: while active, only its release candidate tag and hotfix tags may deploy')
    .addHelpText('after', '\nExample:\n  $ npx ccr freeze start v1.5.0-rc.1 --reason "release 1.5 stabilisation"\n  $ npx ccr freeze status\n  $ npx ccr freeze end');
  freeze
    .command('start')
    .description('start a code freeze for a release candidate (a tag); audited')
    .argument('<rc-tag>', 'the release candidate tag')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--env <name>', 'environment whose store records the freeze')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr freeze start v1.5.0-rc.1 --reason "release 1.5 stabilisation"')
    .action(async (tag: string, cmdOpts: FreezeOptions, cmd: Command) => {
      const opts: FreezeOptions = { ...cmd.optsWithGlobals<FreezeOptions>(), ...cmdOpts };
      try {
        if (!opts.reason || opts.reason.trim().length < 5) throw new CcrError('usage', '--reason needs at least 5 characters');
        await withStore(opts, async (o) => {
          const ref = await resolveRef(o.paths.projectRoot, tag);
          if (!ref.isTag) throw new CcrError('usage', `${tag} is not a tag: a code freeze names its release candidate tag`);
          const f = await startFreeze(o.store, { rcTag: ref.version, reason: opts.reason!.trim(), actor: currentActor() });
          emit(opts, { freeze: f }, () => `code freeze started for ${f.rcTag} by ${f.startedBy}: ${f.reason}`);
        });
      } catch (err) {
        fail(opts, err);
      }
    });
  freeze
    .command('end')
    .description('end the active code freeze; audited')
    .option('--reason <text>', 'why, for the audit log')
    .option('--env <name>', 'environment whose store records the freeze')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr freeze end --reason "1.5.0 released"')
    .action(async (cmdOpts: FreezeOptions, cmd: Command) => {
      const opts: FreezeOptions = { ...cmd.optsWithGlobals<FreezeOptions>(), ...cmdOpts };
      try {
        await withStore(opts, async (o) => {
          const f = await endFreeze(o.store, { actor: currentActor(), ...(opts.reason ? { reason: opts.reason } : {}) });
          if (!f) throw new CcrError('not_found', 'no code freeze is active');
          emit(opts, { freeze: f }, () => `code freeze of ${f.rcTag} ended by ${f.endedBy} (active since ${f.startedAt})`);
        });
      } catch (err) {
        fail(opts, err);
      }
    });
  freeze
    .command('status')
    .description('the active code freeze, if any')
    .option('--env <name>', 'environment whose store records the freeze')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr freeze status --json')
    .action(async (cmdOpts: FreezeOptions, cmd: Command) => {
      const opts: FreezeOptions = { ...cmd.optsWithGlobals<FreezeOptions>(), ...cmdOpts };
      try {
        await withStore(opts, async (o) => {
          const f = await activeFreeze(o.store);
          emit(opts, { active: f !== null, freeze: f }, () => (f ? `code freeze active for ${f.rcTag} since ${f.startedAt} by ${f.startedBy}: ${f.reason}` : 'no code freeze is active'));
        });
      } catch (err) {
        fail(opts, err);
      }
    });
}
