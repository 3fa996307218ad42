import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, MANIFEST_FILE, readManifest, type ArtifactManifest } from '../artifacts/manifest.js';
import { runPlan, type CommandExecutor } from '../command/index.js';
import { CcrError } from '../errors.js';
import { imagePlan, imageRepo, imageTag, type ImageKind, type ImageSettings } from './buildah-plan.js';

// Builds the API and web images from a built artifact with buildah, pushes every tag, and
// records the pushed digests in the artifact's manifest.json (its `images` field).

export interface PushedImage {
  repository: string;
  digest: string;
  tags: string[];
  /** repository@digest: what a deploy or a rollback uses. */
  ref: string;
}

/** The build context: the artifact's files plus the two helper scripts under .ccimage/. */
export function assembleContext(artifactDir: string, dockerDir: string, into: string): string {
  cpSync(artifactDir, into, { recursive: true });
  mkdirSync(join(into, '.ccimage'), { recursive: true });
  for (const f of ['verify-artifact.mjs', 'web-server.mjs']) copyFileSync(join(dockerDir, f), join(into, '.ccimage', f));
  // Nothing but what the Dockerfiles copy: no .env, no keys (the artifact never holds them).
  writeFileSync(join(into, '.dockerignore'), '**/*.env\n**/.env*\n**/*.pem\n**/*.key\n');
  return into;
}

/** Writes the pushed images into manifest.json (canonical JSON, like the build writes it). */
export function recordImages(artifactDir: string, images: Record<ImageKind, PushedImage>): ArtifactManifest {
  const manifest = readManifest(artifactDir);
  const updated: ArtifactManifest = {
    ...manifest,
    images: {
      api: { repository: images.api.repository, digest: images.api.digest, tags: images.api.tags },
      web: { repository: images.web.repository, digest: images.web.digest, tags: images.web.tags },
    },
  };
  writeFileSync(join(artifactDir, MANIFEST_FILE), canonicalJson(updated));
  return updated;
}

export interface BuildImagesOptions {
  artifactDir: string;
  dockerDir: string;
  settings: ImageSettings;
  /** Where the buildah commands run (default: this machine). */
  executor?: CommandExecutor;
  onProgress?: (line: string) => void;
}

export async function buildImages(opts: BuildImagesOptions): Promise<Record<ImageKind, PushedImage>> {
  const manifest = readManifest(opts.artifactDir);
  if (!manifest.web) throw new CcrError('build_failed', `artifact ${manifest.version} has no web app; the web image needs one`);
  const work = mkdtempSync(join(tmpdir(), 'ccr-images-'));
  try {
    const contextDir = assembleContext(opts.artifactDir, opts.dockerDir, join(work, 'context'));
    const digestDir = join(work, 'digests');
    mkdirSync(digestDir);
    const plan = imagePlan(opts.settings, { version: manifest.version, commit: manifest.commit, builtAt: manifest.builtAt, contextDir, dockerDir: opts.dockerDir, digestDir });
    await runPlan(plan, { executor: opts.executor, onProgress: opts.onProgress, code: 'build_failed' });
    const out = {} as Record<ImageKind, PushedImage>;
    for (const kind of ['api', 'web'] as const) {
      const pushes = plan.filter((c) => c.image === kind && c.digestFile);
      const digests = new Set(pushes.map((c) => (existsSync(c.digestFile!) ? readFileSync(c.digestFile!, 'utf8').trim() : '')));
      const [digest] = [...digests];
      // Every tag of one build must point at the same manifest; anything else is a broken push.
      if (digests.size !== 1 || !/^sha256:[0-9a-f]{64}$/.test(digest ?? '')) {
        throw new CcrError('build_failed', `pushing ${kind} gave digests ${[...digests].join(', ') || 'none'}; expected one sha256`);
      }
      const repository = imageRepo(opts.settings, kind);
      out[kind] = { repository, digest: digest!, tags: [imageTag(manifest.version), ...opts.settings.channelTags.map(imageTag)], ref: `${repository}@${digest}` };
    }
    recordImages(opts.artifactDir, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
