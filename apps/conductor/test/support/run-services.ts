import type { RunServices } from '../../src/engine/context.js';
import { ccPaths } from '../../src/paths.js';

/** What a run is given (paths, the app's database) for tests that drive steps directly. */
export function runServices(databaseUrl: string | null = null, paths = ccPaths()): RunServices {
  return { paths, databaseUrl };
}
