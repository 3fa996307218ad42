import type { Command } from 'commander';
import { verifyArtifact } from '../../artifacts/verify.js';
import { CcrError } from '../../errors.js';
import { ccPaths } from '../../paths.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function register(program: Command): void {
  program
    .command('verify-artifact')
    .description('recheck the sha256 of every file of an artifact against its manifest')
    .argument('<version>', 'the artifact version (folder name under .cc/artifacts/)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Exits 1 (code artifact_invalid) naming every file that changed, is missing or is extra.

Example:
  $ npx ccr verify-artifact v1.4.0 --json`,
    )
    .action(async (version: string, cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const r = await verifyArtifact(ccPaths().artifacts, version);
        if (!r.ok) {
          const list = (label: string, files: string[]) => (files.length ? [`${label}: ${files.join(', ')}`] : []);
          throw new CcrError('artifact_invalid', [`artifact ${version} does not match its manifest`, ...list('changed', r.changed), ...list('missing', r.missing), ...list('extra', r.extra)].join('\n  '), {
            details: { version, changed: r.changed, missing: r.missing, extra: r.extra },
          });
        }
        emit(opts, r, () => `artifact ${version}: all ${r.checked} files match the manifest`);
      } catch (err) {
        fail(opts, err);
      }
    });
}
