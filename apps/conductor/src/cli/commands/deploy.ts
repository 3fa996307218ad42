import type { Command } from 'commander';
import { STRATEGIES } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { resolvePlan } from '../../plan/resolve.js';
import { unknownValue } from '../../suggest.js';
import { loadStepImplementations } from '../../steps/index.js';
import { reapScaleDowns } from '../../strategies/scale-down.js';
import { createRelease, currentActor, getEnvState, inFlightRelease, updateRelease, type Release } from '../../store/index.js';
import { progressSink } from '../deploy-progress.js';
import { openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';
import { acquireLock, runInCharge } from '../run-release.js';

interface DeployOptions extends GlobalOptions {
  strategy?: string;
  yes?: boolean;
  resume?: boolean;
  maintenance?: boolean;
  outsideWindow?: string;
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
Example:
  $ npx ccr deploy v1.5.0 --strategy canary
  $ npx ccr deploy --resume            # after a crash; or: npx ccr status && npx ccr abort`)
    .action(async (ref: string | undefined, cmdOpts: DeployOptions, cmd: Command) => {
      const opts: DeployOptions = { ...cmd.optsWithGlobals<DeployOptions>(), ...cmdOpts };
      let code = 1;
      try {
        if (opts.strategy && !(STRATEGIES as readonly string[]).includes(opts.strategy)) throw new CcrError('usage', `--strategy: ${unknownValue('strategy', opts.strategy, STRATEGIES)}`);
        if (!ref && !opts.resume) throw new CcrError('usage', 'give a git ref to deploy, or --resume');
        await loadStepImplementations();
        const o = await openEnv(opts.env);
        try {
          if (o.env.appEnv === 'production' && !opts.yes) throw new CcrError('usage', `${o.envName} is a production environment: add --yes to deploy`);
          const strategy = opts.strategy ?? o.env.strategy;
          if (strategy === 'canary' && !o.env.canary) throw new CcrError('config_invalid', `environments.${o.envName}.canary: a canary needs steps; add them or pick another --strategy`);
          const lock = await acquireLock(o, null);
          try {
            const target = o.target();
            await reapScaleDowns(o.store, o.envName, target, currentActor()).catch(() => undefined);
            let release: Release | null = await inFlightRelease(o.store, o.envName);
            if (opts.resume) {
              if (!release) throw new CcrError('not_found', `no release of ${o.envName} is in flight; nothing to resume`);
              progress(opts, `resuming release ${release.id} (${release.version ?? release.ref}) at ${release.step ?? release.phase}: ${release.state}`);
              await o.store.query('INSERT INTO audit_log (actor, env, release_id, action, result, details) VALUES ($1, $2, $3, $4, $5, $6)', [currentActor(), o.envName, release.id, 'release.resume', 'ok', { step: release.step, state: release.state }]);
            } else {
              if (release) throw new CcrError('conflict', `release ${release.id} (${release.version ?? release.ref}) is in flight (${release.state} at ${release.step ?? release.phase}); run \`ccr deploy --resume\` or \`ccr abort\` first`);
              const view = await target.traffic();
              const apiVersions = Object.keys(view.split.api);
              if (apiVersions.length > 1) throw new CcrError('conflict', `api traffic is split between ${apiVersions.join(', ')} with no release in flight; put it on one version first (ccr rollback --to <version>)`);
              const stable = apiVersions[0] ?? (await getEnvState(o.store, o.envName)).activeVersion;
              const plan = resolvePlan(o.config, o.envName);
              release = await createRelease(o.store, { env: o.envName, ref: ref!, strategy, startedBy: currentActor(), phase: plan[0]?.phase ?? 'pre-deployment', previousVersion: stable ?? null, options: { maintenance: opts.maintenance === true, yes: opts.yes === true, ...(opts.outsideWindow ? { outsideWindow: opts.outsideWindow } : {}) } });
              release = await updateRelease(o.store, release.id, { data: { stable: stable ?? null } });
              progress(opts, `release ${release.id}: ${ref} to ${o.envName} with ${strategy}${stable ? `, replacing ${stable}` : ''} (lock held by ${currentActor()})`);
              await o.store.query('INSERT INTO audit_log (actor, env, release_id, action, result, details) VALUES ($1, $2, $3, $4, $5, $6)', [currentActor(), o.envName, release.id, 'release.started', 'ok', { ref, strategy, stable: stable ?? null }]);
            }
            const outcome = await runInCharge(o, lock, release, progressSink(opts), (m) => progress(opts, `warning: ${m}`));
            const final = (await inFlightRelease(o.store, o.envName)) ?? (await o.store.query('SELECT id, version, state, reason, phase, step FROM releases WHERE id = $1', [release.id])).rows[0];
            emit(opts, { release: { id: release.id, version: final?.version ?? null, state: outcome.state, reason: outcome.reason }, exitCode: outcome.exitCode }, () =>
              `release ${release!.id} ${outcome.state.replace('_', ' ')} (exit ${outcome.exitCode}): ${outcome.reason}`);
            code = outcome.exitCode;
          } finally {
            await lock.release().catch(() => undefined);
          }
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
      process.exit(code);
    });
}
