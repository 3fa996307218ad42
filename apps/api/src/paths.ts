import { fileURLToPath } from 'node:url';

/** The migrations shipped with this build; MIGRATIONS_DIR overrides it (artifacts, tests). */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../migrations', import.meta.url));
}
