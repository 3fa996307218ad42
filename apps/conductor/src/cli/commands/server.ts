import type { Command } from 'commander';
import { loadRollout } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { Controller } from '../../service/controller.js';
import { openEnv } from '../open-env.js';
import { setProcessChannel } from '../../store/index.js';
import { loadStepImplementations } from '../../steps/index.js';
import { fail, type GlobalOptions } from '../output.js';

interface ServerOptions extends Omit<GlobalOptions, 'env'> {
  env?: string[];
  once?: boolean;
  tick: string;
}

export function register(program: Command): void {
  program
    .command('server')
    .description('run the release controller: drives every release of the environments it serves to its end, applies control requests, and does the time-based work (pauses, hypercare, delayed scale-downs)')
    .option('--env <name...>', 'environments to serve (repeatable; default: every environment in rollout.yaml that is not a kubernetes target)')
    .option('--once', 'one pass: drive what is in flight and apply what is pending to the end, then exit')
    .option('--tick <ms>', 'milliseconds between two passes when nothing wakes the loop (a control request wakes it at once)', '500')
    .addHelpText('after', `
Several controllers may run against one store: for each release exactly one drives it (the
environment lock); if it dies, another one, or the same one restarted, takes it over at once
(its database session is gone) and the takeover is audited. \`ccr up\` runs one for you.
SIGTERM or Ctrl-C stops it; releases in flight stay in flight for the next controller.

Example:
  $ npx ccr server --env staging --env production
  $ npx ccr server --once --env local     # e.g. from cron, on a machine with no long-running process`)
    .action(async (cmdOpts: ServerOptions, cmd: Command) => {
      const opts: ServerOptions = { ...cmd.optsWithGlobals<ServerOptions>(), ...cmdOpts };
      try {
        const tickMs = Number(opts.tick);
        if (!Number.isInteger(tickMs) || tickMs < 50 || tickMs > 60_000) throw new CcrError('usage', '--tick must be an integer from 50 to 60000 (milliseconds)');
        const { config } = loadRollout();
        const names = opts.env?.length ? opts.env : Object.entries(config.environments).filter(([, e]) => e.target.type !== 'kubernetes').map(([n]) => n);
        for (const n of names) if (!config.environments[n]) throw new CcrError('usage', `--env ${n}: no such environment in rollout.yaml (${Object.keys(config.environments).join(', ')})`);
        if (!names.length) throw new CcrError('usage', 'no environment to serve: rollout.yaml has none outside kubernetes');
        setProcessChannel('controller');
        await loadStepImplementations();
        const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
        const controller = new Controller({ envs: names, openEnv, tickMs, log });
        await controller.start();
        log(`ccr server ${controller.id}: serving ${names.join(', ')}${opts.once ? ' (one pass)' : ''}`);
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          log('stopping: releases in flight stay in flight for the next controller');
          void controller.close();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await controller.run(opts.once === true);
        await controller.close();
        log('stopped');
        process.exit(0);
      } catch (err) {
        fail({ ...(opts.json ? { json: true } : {}) }, err);
      }
    });
}
