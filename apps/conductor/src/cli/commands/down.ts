import type { Command } from 'commander';
import { ccPaths } from '../../paths.js';
import { stopRuntime } from '../../runtime/down.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('down')
    .description('stop the local environment started by `ccr up` and reap anything it left behind')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr down --json')
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const result = await stopRuntime(ccPaths(), (l) => progress(opts, `ccr: ${l}`));
        emit(opts, result, () =>
          [
            result.runtime === 'not-running' ? 'no runtime was running' : `runtime ${result.runtime}`,
            ...result.reaped.map((r) => `  reaped ${r.kind} ${r.id} (pid ${r.pid})`),
          ].join('\n'),
        );
      } catch (err) {
        fail(opts, err);
      }
    });
}
