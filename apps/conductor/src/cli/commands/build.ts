import type { Command } from 'commander';
import { buildArtifact } from '../../artifacts/build.js';
import { ccPaths } from '../../paths.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';
import { addImageOptions, buildAndPushImages, describeImages, type ImageCliOptions } from './images.js';

export function register(program: Command): void {
  const command = program
    .command('build')
    .description('build a git ref into an immutable release artifact under .cc/artifacts/<version>/')
    .argument('<git-ref>', 'a tag (the version is its name), branch or commit (the version is its 12-digit short sha)')
    .option('--json', 'machine-readable output')
    .option('--images', 'also build the API and web images with buildah, push them, record their digests in the manifest');
  addImageOptions(command)
    .addHelpText(
      'after',
      `
The ref is checked out into a clean git worktree (the working copy is never read). A complete
artifact for the same commit is reused as is, so building twice does nothing.

Example:
  $ npx ccr build v1.4.0
  $ npx ccr build HEAD --json`,
    )
    .action(async (ref: string, cmdOpts: GlobalOptions & ImageCliOptions & { images?: boolean }, cmd: Command) => {
      const opts: GlobalOptions & ImageCliOptions & { images?: boolean } = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const paths = ccPaths();
        const result = await buildArtifact({ repo: paths.projectRoot, ref, artifactsDir: paths.artifacts, onProgress: (line) => progress(opts, `build: ${line}`) });
        const images = opts.images ? await buildAndPushImages(result.dir, opts, opts) : null;
        emit(
          opts,
          {
            version: result.version,
            commit: result.commit,
            dir: result.dir,
            built: result.built,
            durationMs: result.durationMs,
            dependencies: result.dependencies ?? null,
            files: Object.keys(result.manifest.files).length,
            migrations: result.manifest.migrations.length,
            notes: result.manifest.notes,
            images,
          },
          () =>
            [
              result.built
                ? `built ${result.version} (${result.commit.slice(0, 12)}) in ${(result.durationMs / 1000).toFixed(1)} s -> ${result.dir}`
                : `artifact ${result.version} (${result.commit.slice(0, 12)}) already exists -> ${result.dir}`,
              `  ${Object.keys(result.manifest.files).length} files, ${result.manifest.migrations.length} migrations, web: ${result.manifest.web ?? 'none'}`,
              ...result.manifest.notes.map((n) => `  note: ${n}`),
              ...(images ? describeImages(images) : []),
            ].join('\n'),
        );
      } catch (err) {
        fail(opts, err);
      }
    });
}
