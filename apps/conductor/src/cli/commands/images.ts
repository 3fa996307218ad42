import { join } from 'node:path';
import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { buildImages, type PushedImage } from '../../images/build-images.js';
import type { ImageKind, ImageSettings } from '../../images/buildah-plan.js';
import { ccPaths } from '../../paths.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

// Image options shared by `ccr build <ref> --images` and `ccr images push <version>`.

export interface ImageCliOptions {
  registry?: string;
  baseImage?: string;
  channel?: string[];
  insecureRegistry?: boolean;
  source?: string;
}

export const DEFAULT_BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';

export function addImageOptions(cmd: Command): Command {
  return cmd
    .option('--registry <host/namespace>', 'registry to push to (default: $CCR_IMAGE_REGISTRY)')
    .option('--base-image <ref>', `base image with node (default: $CCR_IMAGE_BASE or ${DEFAULT_BASE_IMAGE})`)
    .option('--channel <tag...>', 'tags besides the version (default: stable production)')
    .option('--insecure-registry', 'plain HTTP registry without TLS verification (a local registry)')
    .option('--source <url>', 'repository URL for the OCI source label (default: $CCR_IMAGE_SOURCE)');
}

export function imageSettings(o: ImageCliOptions, env: NodeJS.ProcessEnv = process.env): ImageSettings {
  const registry = o.registry ?? env['CCR_IMAGE_REGISTRY'];
  if (!registry) throw new CcrError('usage', 'no registry: pass --registry <host/namespace> or set CCR_IMAGE_REGISTRY');
  return {
    registry,
    baseImage: o.baseImage ?? env['CCR_IMAGE_BASE'] ?? DEFAULT_BASE_IMAGE,
    channelTags: o.channel ?? ['stable', 'production'],
    tlsVerify: !o.insecureRegistry,
    source: o.source ?? env['CCR_IMAGE_SOURCE'] ?? 'https://github.com/cc-webapp/platform',
    ...(env['CCR_BUILDAH_ROOT'] ? { storageRoot: env['CCR_BUILDAH_ROOT'] } : {}),
    ...(env['CCR_BUILDAH_RUNROOT'] ? { runRoot: env['CCR_BUILDAH_RUNROOT'] } : {}),
  };
}

/** Builds and pushes both images of an artifact; the digests land in its manifest. */
export async function buildAndPushImages(artifactDir: string, o: ImageCliOptions, opts: GlobalOptions): Promise<Record<ImageKind, PushedImage>> {
  return buildImages({
    artifactDir,
    dockerDir: join(ccPaths().projectRoot, 'deploy/docker'),
    settings: imageSettings(o),
    onProgress: (line) => progress(opts, `images: ${line}`),
  });
}

export function describeImages(images: Record<ImageKind, PushedImage>): string[] {
  return Object.entries(images).map(([k, v]) => `  ${k}: ${v.ref} (tags ${v.tags.join(', ')})`);
}

export function register(program: Command): void {
  const images = program.command('images').description('OCI images of release artifacts (buildah)');
  addImageOptions(
    images
      .command('push')
      .description('build the API and web images of an already built artifact, push them, record their digests')
      .argument('<version>', 'artifact version under .cc/artifacts/')
      .option('--json', 'machine-readable output'),
  ).action(async (version: string, cmdOpts: ImageCliOptions, cmd: Command) => {
    const opts: GlobalOptions & ImageCliOptions = { ...cmd.optsWithGlobals(), ...cmdOpts };
    try {
      const pushed = await buildAndPushImages(join(ccPaths().artifacts, version), opts, opts);
      emit(opts, { version, images: pushed }, () => [`pushed images of ${version}`, ...describeImages(pushed)].join('\n'));
    } catch (err) {
      fail(opts, err);
    }
  });
}
