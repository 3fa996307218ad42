import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { openEnv } from '../open-env.js';
import { getRelease, inFlightRelease } from '../../store/index.js';
import { followToEnd } from '../follow.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('watch')
    .description('follow a release live until it ends, and exit with its code (0 promoted, 2 gate failed before traffic, 3 rolled back, 1 other); Ctrl-C only stops watching')
    .argument('[release]', 'release id (default: the one in flight)')
    .option('--env <name>', 'environment')
    .option('--json', 'one JSON document on stdout at the end')
    .addHelpText('after', '\nExample:\n  $ npx ccr watch r-20261208004501-3f2a\n  $ npx ccr watch --env staging --json')
    .action(async (id: string | undefined, cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      let code = 1;
      try {
        if (id !== undefined && !/^r-[0-9]{14}-[0-9a-f]{4}$/.test(id)) throw new CcrError('usage', `"${id}" is not a release id (r-YYYYMMDDhhmmss-xxxx, as ccr history lists them)`);
        const o = await openEnv(opts.env);
        try {
          const r = id ? await getRelease(o.store, id) : await inFlightRelease(o.store, o.envName);
          if (!r) throw new CcrError('not_found', id ? `no release ${id}` : `no release of ${o.envName} is in flight`);
          if (r.env !== o.envName) throw new CcrError('usage', `release ${r.id} belongs to ${r.env}: add --env ${r.env}`);
          progress(opts, `following release ${r.id} (${r.version ?? r.ref}, ${r.strategy}) at ${r.step ?? r.phase}: ${r.state}`);
          const end = await followToEnd(o, r.id, opts);
          emit(opts, { release: { id: r.id, state: end.state, reason: end.reason }, exitCode: end.exitCode }, () => `release ${r.id} ${end.state.replace('_', ' ')} (exit ${end.exitCode}): ${end.reason}`);
          code = end.exitCode;
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
      process.exit(code);
    });
}
