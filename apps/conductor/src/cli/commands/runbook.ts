import { relative } from 'node:path';
import type { Command } from 'commander';
import { environment, loadRollout } from '../../config/index.js';
import { renderRunbook } from '../../report/runbook.js';
import { loadStepImplementations } from '../../steps/index.js';
import { emit, fail, type GlobalOptions } from '../output.js';
import { planStatus } from './plan.js';

export function register(program: Command): void {
  program
    .command('runbook')
    .description("print an environment's plan as a runbook: what runs by itself, what needs a person, how to roll back")
    .option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
    .option('--json', 'machine-readable output ({ env, markdown })')
    .addHelpText('after', '\nExample:\n  $ npx ccr runbook --env production > docs/runbook-production.md')
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        await loadStepImplementations();
        const { config, file } = loadRollout();
        const { name } = environment(config, opts.env);
        const markdown = renderRunbook(config, name, planStatus, relative(process.cwd(), file) || file);
        emit(opts, { env: name, markdown }, () => markdown.trimEnd());
      } catch (err) {
        fail(opts, err);
      }
    });
}
