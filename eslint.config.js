// Lint enforces what review would otherwise have to catch by hand: type-only imports, and the
// dependency direction of DESIGN §2 (apps may import packages; packages never import apps; the
// web app never imports API code; the conductor reaches the app only through public surfaces).
import { existsSync } from 'node:fs';
import tseslint from 'typescript-eslint';
import { CONDUCTOR_LAYERS, PROCESS_FOLDER } from './apps/conductor/layers.mjs';

const restrict = (patterns, paths = []) => ['error', { patterns, paths }];

const conductorApps = { group: ['@cc/api', '@cc/web', '**/apps/api/src/**', '**/apps/web/src/**'], message: 'the conductor reaches the app only through HTTP, migration files and the artifact manifest (DESIGN §2)' };

/**
 * One block per conductor folder: it may not import a folder of a higher layer
 * (apps/conductor/layers.mjs), only command/ may start processes, and only cli/ decides where
 * local state lives (ccPaths). Each block repeats the
 * app rule because a later block's options replace an earlier one's.
 */
function conductorLayerBlocks() {
  return CONDUCTOR_LAYERS.flatMap((layer, i) => {
    const higher = CONDUCTOR_LAYERS.slice(0, i).flat();
    return layer.map((folder) => {
      const patterns = [conductorApps];
      if (higher.length) {
        patterns.push({
          regex: `^(\\.\\.?/)+(${higher.join('|')})/`,
          message: `${folder} (layer ${i + 1}) must not import from a layer above it (${higher.join(', ')}); move the shared code down (apps/conductor/layers.mjs, DESIGN §5)`,
        });
      }
      if (folder !== 'cli' && folder !== 'paths') {
        patterns.push({
          regex: '(^|/)paths\\.js$',
          importNames: ['ccPaths', 'projectRoot'],
          message: 'paths come from the run (ctx.services.paths, or a parameter), decided once by the command (DESIGN §5)',
        });
      }
      const processes = folder === PROCESS_FOLDER ? [] : ['node:child_process', 'child_process'].map((name) => ({ name, message: 'start processes through apps/conductor/src/command (one way to run a process, DESIGN §5)' }));
      const file = existsSync(new URL(`./apps/conductor/src/${folder}.ts`, import.meta.url));
      const files = file ? [`apps/conductor/src/${folder}.ts`] : [`apps/conductor/src/${folder}/**/*.ts`];
      return { files, rules: { 'no-restricted-imports': restrict(patterns, processes) } };
    });
  });
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.cc/**', 'test-results/**', 'apps/web/dist/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['packages/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['@cc/api', '@cc/web', '@cc/conductor', '**/apps/**'], message: 'packages never import apps (DESIGN §2)' }]) },
  },
  {
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
    rules: { 'no-restricted-imports': restrict([{ group: ['@cc/api', '@cc/conductor', '**/apps/api/**', '**/apps/conductor/**'], message: 'the web app talks to the API over HTTP only (DESIGN §2)' }]) },
  },
  {
    files: ['apps/conductor/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([conductorApps]) },
  },
  ...conductorLayerBlocks(),
  {
    files: ['apps/api/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['@cc/web', '@cc/conductor', '**/apps/web/**', '**/apps/conductor/**'], message: 'the API does not import other apps (DESIGN §2)' }]) },
  },
);
