import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { switchBack } from '../../rollback/switch-back.js';
import { schemaRollbackFor } from '../../schema/rollback-hook.js';
import { reapScaleDowns } from '../../strategies/scale-down.js';
import { currentActor, getEnvState, inFlightRelease } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';
import { acquireLock } from '../run-release.js';

export function register(program: Command): void {
  program
    .command('rollback')
    .description('put all traffic back on the previous version: one router switch when it is still warm, else it starts first; audited and announced')
    .option('--to <version>', 'roll back to this version instead of the previous one (its artifact must exist)')
    .option('--keep', 'keep the current version running (at weight 0) instead of stopping it')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
For a release still in flight, use \`ccr abort\` instead.

Example:
  $ npx ccr rollback
  $ npx ccr rollback --to v1.4.2 --json`)
    .action(async (cmdOpts: GlobalOptions & { to?: string; keep?: boolean }, cmd: Command) => {
      const opts = { ...cmd.optsWithGlobals<GlobalOptions & { to?: string; keep?: boolean }>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const lock = await acquireLock(o, null);
          try {
            const inFlight = await inFlightRelease(o.store, o.envName);
            if (inFlight) throw new CcrError('conflict', `release ${inFlight.id} is in flight (${inFlight.state}); use \`ccr abort\`, which rolls it back`);
            const target = o.target();
            const state = await getEnvState(o.store, o.envName);
            const view = await target.traffic();
            const current = Object.keys(view.split.api).length === 1 ? Object.keys(view.split.api)[0]! : state.activeVersion;
            const to = opts.to ?? state.previousVersion;
            if (!to) throw new CcrError('not_found', `no previous version of ${o.envName} is recorded; say which with --to <version>`);
            if (to === current) throw new CcrError('conflict', `${to} already carries all traffic`);
            const services = o.services(() => to, (m) => progress(opts, `warning: ${m}`));
            if (!services.artifacts.has(to)) throw new CcrError('not_found', `no artifact ${to}; build it first: ccr build ${to}`);
            const schema = await schemaRollbackFor(o, current ?? null, to, (line) => progress(opts, line));
            const r = await switchBack({
              db: o.store, target, notifier: services.notifier, env: o.envName, actor: currentActor(), releaseId: null,
              to, from: current ?? null, instances: services.instances, reason: `manual rollback by ${currentActor()}`,
              progress: (line) => progress(opts, line), keepFrom: opts.keep === true,
            });
            await schema.apply();
            await services.onPromoted?.(to);
            await reapScaleDowns(o.store, o.envName, target, currentActor()).catch(() => undefined);
            emit(opts, { env: o.envName, to: r.to, from: r.from, warm: r.warm, switchMs: r.switchMs, stoppedFrom: r.stoppedFrom, split: r.view.split, schema: { action: schema.plan?.action ?? 'none', reason: schema.plan?.reason ?? null } }, () =>
              `rolled back ${o.envName} from ${r.from ?? '?'} to ${r.to} in ${r.switchMs} ms (${r.warm ? 'warm: one router switch' : 'started it first'})${r.stoppedFrom ? `; stopped ${r.stoppedFrom} instance(s) of ${r.from}` : ''}`);
          } finally {
            await lock.release().catch(() => undefined);
          }
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
