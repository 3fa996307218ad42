import { isAbsolute, join } from 'node:path';
import type { EnvironmentConfig } from '../config/index.js';
import type { CcPaths } from '../paths.js';

/** Where an environment's dumps go: backup.dir (relative to the project) or .cc/backups/<env>. */
export function backupDir(env: EnvironmentConfig, envName: string, paths: CcPaths): string {
  const dir = env.backup.dir;
  if (!dir) return join(paths.home, 'backups', envName);
  return isAbsolute(dir) ? dir : join(paths.projectRoot, dir);
}
