import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { CcrError } from '../errors.js';

// manifest.json is the artifact's public contract: the supervisor reads the entry points and
// version stamp from it, the engine reads the migrations, and verify-artifact the hashes.

export const MANIFEST_FILE = 'manifest.json';

const migrationSchema = z.object({
  version: z.number().int().min(0),
  name: z.string(),
  /** sha256 of the up file, the same value the migrator records when it applies it. */
  sha256: z.string(),
  up: z.string(),
  down: z.string(),
  downSha256: z.string(),
  noTransaction: z.boolean(),
});

const pushedImageSchema = z.object({ repository: z.string(), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/), tags: z.array(z.string()) });

export const manifestSchema = z.object({
  formatVersion: z.literal(1),
  version: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  /** The commit's timestamp, so rebuilding a ref gives the same bytes. */
  builtAt: z.string(),
  /** The Node.js version the artifact was built with and is meant to run on. */
  node: z.string(),
  entrypoints: z.object({ server: z.string(), migrate: z.string(), admin: z.string().optional() }),
  /** Folder of the built web app inside the artifact, or null when the ref has none. */
  web: z.string().nullable(),
  migrationsDir: z.string(),
  migrations: z.array(migrationSchema),
  /** path (relative, "/" separated) -> sha256 of every file but manifest.json itself. */
  files: z.record(z.string(), z.string()),
  /** Things the build skipped on purpose, e.g. a ref without a web app. */
  notes: z.array(z.string()),
  /**
   * OCI images built from this artifact (`ccr build --images`, src/images/), pinned by the
   * digest the registry returned, so a rollback redeploys exactly these bytes. manifest.json
   * is not in `files`, so recording them leaves the artifact's hashes as they were.
   */
  images: z.object({ api: pushedImageSchema, web: pushedImageSchema }).optional(),
});

export type ArtifactManifest = z.infer<typeof manifestSchema>;
export type ArtifactMigration = z.infer<typeof migrationSchema>;

/** JSON with object keys sorted at every level, so equal manifests are equal bytes. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

export function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every regular file under dir (symlinks are not followed), relative and "/" separated, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** sha256 of every file under dir except the manifest, keys sorted. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of listFiles(dir)) {
    if (file === MANIFEST_FILE) continue;
    files[file] = await sha256File(join(dir, file));
  }
  return files;
}

export function readManifest(artifactDir: string): ArtifactManifest {
  const file = join(artifactDir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CcrError(missing ? 'not_found' : 'artifact_invalid', missing ? `no artifact manifest at ${file}` : `cannot parse ${file}`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CcrError('artifact_invalid', `${file}: ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
