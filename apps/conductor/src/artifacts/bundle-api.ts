import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { CcrError } from '../errors.js';

// The API becomes three self-contained ESM files that run with plain `node`: the server, the
// migrate CLI and (when the ref has it) the admin CLI. Native addons cannot be bundled, so
// they stay external and are copied, with their runtime dependencies, into the artifact's
// node_modules. Output is deterministic: esbuild is, and preserveSymlinks keeps every source
// path inside the worktree so the temp folder's location never leaks into the bundle.

/** Packages that must stay real files next to the bundle (native code, .node binaries). */
const NATIVE_PACKAGES = ['argon2'];
/** Optional requires that libraries guard with try/catch; never installed here. */
const OPTIONAL_MISSING = ['pg-native'];
/** Declared as dependencies by the native packages but only used when compiling them. */
const BUILD_ONLY = new Set(['node-addon-api', 'cross-env', 'node-gyp', 'prebuildify']);

/** node-gyp's intermediate files: only the linked .node binary is needed at run time. */
const COMPILE_DEBRIS = /(\/obj\.target(\/|$)|\/\.deps(\/|$)|\.o$|\.o\.d$|\/node_modules\/\.cache(\/|$))/;

const ENTRIES = { server: 'apps/api/src/bin/start-api.ts', migrate: 'apps/api/src/bin/migrate.ts', admin: 'apps/api/src/bin/admin.ts' } as const;

// CJS dependencies call require() and read __dirname; ESM output has neither.
const BANNER = [
  "import { createRequire as __ccCreateRequire } from 'node:module';",
  "import { fileURLToPath as __ccFileURLToPath } from 'node:url';",
  "import { dirname as __ccDirname } from 'node:path';",
  'const require = __ccCreateRequire(import.meta.url);',
  'const __filename = __ccFileURLToPath(import.meta.url);',
  'const __dirname = __ccDirname(__filename);',
].join('\n');

export interface BundleResult {
  entrypoints: { server: string; migrate: string; admin?: string };
  nativePackages: string[];
  notes: string[];
}

export async function bundleApi(worktree: string, outDir: string): Promise<BundleResult> {
  const notes: string[] = [];
  const entryPoints: Record<string, string> = {};
  for (const [name, src] of Object.entries(ENTRIES)) {
    if (existsSync(join(worktree, src))) entryPoints[name] = src;
    else if (name === 'admin') notes.push(`api: ${src} does not exist in this ref; no admin CLI in the artifact`);
    else throw new CcrError('build_failed', `${src} does not exist in this ref; it cannot be built as a release`);
  }
  let metafile: Metafile;
  try {
    const { build } = await import('esbuild'); // only `ccr build` needs it; keep it off the CLI's start-up
    const result = await build({
      absWorkingDir: worktree,
      entryPoints,
      outdir: join(outDir, 'api'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      preserveSymlinks: true,
      external: [...NATIVE_PACKAGES, ...OPTIONAL_MISSING],
      banner: { js: BANNER },
      metafile: true,
      logLevel: 'silent',
      charset: 'utf8',
      legalComments: 'none',
    });
    metafile = result.metafile;
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const detail = errors.slice(0, 5).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('; ');
    throw new CcrError('build_failed', `bundling the API failed${detail ? `: ${detail}` : ''}`, { cause: err });
  }
  const imported = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) if (imp.external && NATIVE_PACKAGES.includes(imp.path)) imported.add(imp.path);
  }
  const nativePackages = copyPackages([...imported].sort(), join(worktree, 'node_modules'), join(outDir, 'node_modules'));
  return {
    entrypoints: {
      server: 'api/server.mjs',
      migrate: 'api/migrate.mjs',
      ...(entryPoints['admin'] ? { admin: 'api/admin.mjs' } : {}),
    },
    nativePackages,
    notes,
  };
}

/** Copies packages and their runtime dependency closure (flat, the way npm hoists them). */
function copyPackages(roots: string[], from: string, to: string): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name) || BUILD_ONLY.has(name)) continue;
    const src = join(from, name);
    if (!existsSync(join(src, 'package.json'))) throw new CcrError('build_failed', `external package ${name} is not installed; cannot copy it into the artifact`);
    seen.add(name);
    mkdirSync(join(to, name, '..'), { recursive: true });
    cpSync(src, join(to, name), { recursive: true, dereference: true, filter: (p) => !COMPILE_DEBRIS.test(p) });
    const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    queue.push(...Object.keys(pkg.dependencies ?? {}));
  }
  return [...seen].sort();
}
