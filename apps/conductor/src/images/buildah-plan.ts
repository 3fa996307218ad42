import { join } from 'node:path';
import type { Command } from '../command/index.js';

// `ccr build <ref> --images` as data (Kamal's habit): the buildah commands that build the API
// and web images from an artifact, tag them <version> plus the channel tags, and push each
// tag with --digestfile so the pushed digest is known exactly. One executor runs them.

export const IMAGE_NAMES = { api: 'cc-api', web: 'cc-web' } as const;
export type ImageKind = keyof typeof IMAGE_NAMES;

export interface ImageSettings {
  buildah?: string;
  /** Registry and namespace, e.g. registry.example.com/cc or 127.0.0.1:5000/cc. */
  registry: string;
  /** Any image with node on PATH; the Dockerfiles' BASE_IMAGE build argument. */
  baseImage: string;
  /** Tags besides the version (the seed's stable/production). */
  channelTags: string[];
  /** false only for a plain-HTTP registry (a local test registry). */
  tlsVerify: boolean;
  /** Repository URL for the org.opencontainers.image.source label. */
  source: string;
  /** Containers storage locations (default: buildah's own); tests use a temp folder. */
  storageRoot?: string;
  runRoot?: string;
}

export interface ImageBuildInput {
  version: string;
  commit: string;
  builtAt: string;
  /** The assembled build context (artifact + .ccimage/ helpers). */
  contextDir: string;
  /** deploy/docker in the checkout of the release (its Dockerfiles). */
  dockerDir: string;
  /** Where push writes each digest file. */
  digestDir: string;
}

export interface BuildahCommand extends Command {
  readonly description: string;
  /** Set on push commands: the file buildah writes the pushed manifest digest to. */
  digestFile?: string;
  image?: ImageKind;
}

/** OCI tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; anything else becomes "-". */
export function imageTag(version: string): string {
  const t = version.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '').slice(0, 128);
  if (!t) throw new Error(`version ${JSON.stringify(version)} makes no valid image tag`);
  return t;
}

export function imageRepo(settings: ImageSettings, kind: ImageKind): string {
  return `${settings.registry.replace(/\/+$/, '')}/${IMAGE_NAMES[kind]}`;
}

export function imagePlan(s: ImageSettings, input: ImageBuildInput): BuildahCommand[] {
  const buildah = [
    s.buildah ?? 'buildah',
    '--storage-driver', 'vfs',
    ...(s.storageRoot ? ['--root', s.storageRoot] : []),
    ...(s.runRoot ? ['--runroot', s.runRoot] : []),
  ];
  const tag = imageTag(input.version);
  const plan: BuildahCommand[] = [];
  for (const kind of ['api', 'web'] as const) {
    const repo = imageRepo(s, kind);
    plan.push({
      description: `build ${IMAGE_NAMES[kind]}:${tag}`,
      image: kind,
      argv: [
        ...buildah, 'bud',
        '--isolation', 'chroot',
        // docker format keeps HEALTHCHECK (the OCI image config has no field for it).
        '--format', 'docker',
        '--pull-never',
        '--no-cache',
        '--file', join(input.dockerDir, `${kind}.Dockerfile`),
        '--build-arg', `BASE_IMAGE=${s.baseImage}`,
        '--build-arg', `VERSION=${input.version}`,
        '--build-arg', `COMMIT=${input.commit}`,
        '--build-arg', `BUILT_AT=${input.builtAt}`,
        '--build-arg', `SOURCE=${s.source}`,
        '--timestamp', String(Math.floor(Date.parse(input.builtAt) / 1000)),
        '--tag', `${repo}:${tag}`,
        input.contextDir,
      ],
    });
    for (const channel of s.channelTags) {
      plan.push({ description: `tag ${IMAGE_NAMES[kind]}:${channel}`, image: kind, argv: [...buildah, 'tag', `${repo}:${tag}`, `${repo}:${imageTag(channel)}`] });
    }
    for (const t of [tag, ...s.channelTags.map(imageTag)]) {
      const digestFile = join(input.digestDir, `${kind}-${t}.digest`);
      plan.push({
        description: `push ${IMAGE_NAMES[kind]}:${t}`,
        image: kind,
        digestFile,
        argv: [...buildah, 'push', `--tls-verify=${s.tlsVerify}`, '--digestfile', digestFile, `${repo}:${t}`, `docker://${repo}:${t}`],
      });
    }
  }
  return plan;
}
