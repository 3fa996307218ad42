// Lint enforces what review would otherwise have to catch by hand: type-only imports, and the
// dependency direction of DESIGN §2 (apps may import packages; packages never import apps; the
// web app never imports API code; the conductor reaches the app only through public surfaces).
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

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
    rules: { 'no-restricted-imports': restrict([{ group: ['@cc/api', '@cc/web', '**/apps/api/src/**', '**/apps/web/src/**'], message: 'the conductor reaches the app only through HTTP, migration files and the artifact manifest (DESIGN §2)' }]) },
  },
  {
    files: ['apps/api/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['@cc/web', '@cc/conductor', '**/apps/web/**', '**/apps/conductor/**'], message: 'the API does not import other apps (DESIGN §2)' }]) },
  },
);
