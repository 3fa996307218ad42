// Smoke tests of one release version, pinned through the router. See run-suite.ts.
export { runSmokeSuite } from './run-suite.js';
export { SMOKE_CHECK_NAMES } from './checks.js';
export { recordSmoke } from './record.js';
export { summarizeSmoke } from './summary.js';
export { smokeInviteFromCli, type SmokeInviteSource } from './invite-cli.js';
export type { SmokeCheckResult, SmokeOptions, SmokeReport, SmokeServices, SmokeTarget } from './types.js';
