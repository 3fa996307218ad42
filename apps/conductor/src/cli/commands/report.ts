import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { collectReport } from '../../report/collect.js';
import { renderReport } from '../../report/render.js';
import { latestRelease } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { fail, progress, type GlobalOptions } from '../output.js';

type Opts = GlobalOptions & { format?: string; out?: string };

export function register(program: Command): void {
  program
    .command('report')
    .description('the release record: timeline, gates and sign-offs, measurement charts, traffic, incidents, retrospective')
    .argument('<release>', 'release id (ccr history lists them), or "latest" for the environment')
    .option('--format <md|html>', 'Markdown or one self-contained HTML file', 'md')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--env <name>', 'environment (for "latest" and the store)')
    .option('--json', 'the collected record as JSON instead of a document')
    .addHelpText('after', '\nExamples:\n  $ npx ccr report latest --env staging\n  $ npx ccr report r-20260302100000-bbbb --format html --out release.html')
    .action(async (id: string, cmdOpts: Opts, cmd: Command) => {
      const opts: Opts = { ...cmd.optsWithGlobals<Opts>(), ...cmdOpts };
      try {
        if (opts.format !== 'md' && opts.format !== 'html') throw new CcrError('usage', `--format: "${opts.format}" is not md or html`);
        const o = await openEnv(opts.env);
        try {
          const releaseId = id === 'latest' ? (await latestRelease(o.store, o.envName))?.id : id;
          if (!releaseId) throw new CcrError('not_found', `no release of ${o.envName} yet`);
          const record = await collectReport(o.store, releaseId);
          const text = opts.json ? `${JSON.stringify(record)}\n` : renderReport(record, opts.format);
          if (opts.out) {
            writeFileSync(opts.out, text);
            progress(opts, `release record of ${releaseId} written to ${opts.out}`);
          } else process.stdout.write(text);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
