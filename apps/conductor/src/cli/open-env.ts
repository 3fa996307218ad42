import { ccPaths } from '../paths.js';
import { openEnvAt, type OpenEnv } from '../service/open-env.js';

// The commands open environments here: the paths are decided once, by the command (DESIGN §5);
// the rest lives in service/open-env.ts, which the release service and the controller share.
export { appDatabaseUrl, artifactSource, storeUrl, type OpenEnv } from '../service/open-env.js';

export function openEnv(envOption?: string): Promise<OpenEnv> {
  return openEnvAt(envOption, ccPaths());
}
