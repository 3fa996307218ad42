import type { Command } from 'commander';
import { STRATEGIES } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { unknownValue } from '../../suggest.js';
import { loadStepImplementations } from '../../steps/index.js';
import { reapScaleDowns } from '../../strategies/scale-down.js';
import { acquireLock, driveRelease } from '../../service/drive.js';
import { openEnv, type OpenEnv } from '../open-env.js';
import { ReleaseService } from '../../service/release-service.js';
import { cliActor, currentActor, inFlightRelease, type Release } from '../../store/index.js';
import { progressSink } from '../deploy-progress.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';
import { followToEnd } from '../follow.js';

interface DeployOptions extends GlobalOptions {
  strategy?: string;
  yes?: boolean;
  resume?: boolean;
  maintenance?: boolean;
  outsideWindow?: string;
}

/** No controller serves the environment: this process takes the lock and drives the release. */
async function driveHere(o: OpenEnv, service: ReleaseService, ref: string | undefined, opts: DeployOptions): Promise<{ release: Release; exitCode: number; state: string; reason: string }> {
  const actor = cliActor();
  const lock = await acquireLock(o, null, currentActor());
  try {
    await reapScaleDowns(o.store, o.envName, o.target(), currentActor()).catch(() => undefined);
    let release: Release;
    if (opts.resume) {
      release = await service.resumeRelease(null, actor);
      progress(opts, `resuming release ${release.id} (${release.version ?? release.ref}) at ${release.step ?? release.phase}: ${release.state}`);
    } else {
      release = await service.startRelease({ ref: ref!, ...(opts.strategy ? { strategy: opts.strategy } : {}), options: { maintenance: opts.maintenance === true, yes: opts.yes === true, ...(opts.outsideWindow ? { outsideWindow: opts.outsideWindow } : {}) } }, actor);
      progress(opts, `release ${release.id}: ${ref} to ${o.envName} with ${release.strategy}${release.previousVersion ? `, replacing ${release.previousVersion}` : ''} (no controller serves ${o.envName}: driving it here, lock held by ${currentActor()})`);
    }
    const outcome = await driveRelease(o, lock, release, actor, { progress: progressSink(opts), warn: (m) => progress(opts, `warning: ${m}`) });
    return { release, ...outcome };
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export function register(program: Command): void {
  program
    .command('deploy')
    .description("roll a git ref out to an environment with its plan and strategy (exit 0 promoted, 2 gate failed before traffic, 3 rolled back, 1 other error)")
    .argument('[ref]', 'git tag, branch or commit to release (not needed with --resume)')
    .option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
    .option('--strategy <name>', `override the environment's strategy: ${STRATEGIES.join(', ')}`)
    .option('--yes', 'do not ask for confirmation (required for production environments)')
    .option('--resume', 'continue the release in flight (after the conductor was killed)')
    .option('--maintenance', 'wrap the deployment in maintenance mode even if the plan does not')
    .option('--outside-window <reason>', 'deploy outside the deployment windows; the reason is recorded by the window gate')
    .option('--json', 'one JSON document on stdout at the end (CCR_PROGRESS=1 streams progress events to stderr)')
    .addHelpText('after', `
When a controller (ccr server, hosted by ccr up) serves the environment, the release is
recorded and the controller drives it; this command follows its progress and exits with its
code. Killing it changes nothing; Ctrl-C detaches (follow again with ccr watch <release>).
With no controller, this command drives the release itself, holding the environment lock.

Example:
  $ npx ccr deploy v1.5.0 --strategy canary
  $ npx ccr deploy --resume            # a release nobody drives; or: npx ccr status && npx ccr abort`)
    .action(async (ref: string | undefined, cmdOpts: DeployOptions, cmd: Command) => {
      const opts: DeployOptions = { ...cmd.optsWithGlobals<DeployOptions>(), ...cmdOpts };
      let code = 1;
      try {
        if (opts.strategy && !(STRATEGIES as readonly string[]).includes(opts.strategy)) throw new CcrError('usage', `--strategy: ${unknownValue('strategy', opts.strategy, STRATEGIES)}`);
        if (!ref && !opts.resume) throw new CcrError('usage', 'give a git ref to deploy, or --resume');
        await loadStepImplementations();
        const o = await openEnv(opts.env);
        try {
          const service = new ReleaseService(o);
          const { controller } = await service.attendance();
          let result: { release: Release; exitCode: number; state: string; reason: string };
          if (controller) {
            const actor = cliActor();
            const release = opts.resume
              ? await service.resumeRelease(null, actor)
              : await service.startRelease({ ref: ref!, ...(opts.strategy ? { strategy: opts.strategy } : {}), options: { maintenance: opts.maintenance === true, yes: opts.yes === true, ...(opts.outsideWindow ? { outsideWindow: opts.outsideWindow } : {}) } }, actor);
            progress(opts, `release ${release.id}: ${release.ref} to ${o.envName} with ${release.strategy}${release.previousVersion ? `, replacing ${release.previousVersion}` : ''}; the controller ${controller.id} drives it, following (Ctrl-C detaches)`);
            const end = await followToEnd(o, release.id, opts);
            result = { release, ...end };
          } else {
            result = await driveHere(o, service, ref, opts);
          }
          const final = (await inFlightRelease(o.store, o.envName)) ?? (await o.store.query('SELECT version FROM releases WHERE id = $1', [result.release.id])).rows[0];
          emit(opts, { release: { id: result.release.id, version: final?.version ?? null, state: result.state, reason: result.reason }, exitCode: result.exitCode }, () =>
            `release ${result.release.id} ${result.state.replace('_', ' ')} (exit ${result.exitCode}): ${result.reason}`);
          code = result.exitCode;
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
      process.exit(code);
    });
}
