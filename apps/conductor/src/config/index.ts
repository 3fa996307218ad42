export { loadRollout, parseRollout, environment, expandEnv, findRolloutFile, type LoadedRollout } from './load.js';
export { checkMeaning, MEANING_CHECKS, type MeaningIssue } from './checks.js';
export { parseDuration, formatDuration } from './duration.js';
export * from './schema.js';
export { pitrSchema, type PitrConfig } from './pitr-schema.js';
export { hostAddress, hostPort, isHostnameOrIp } from './host-address.js';
export { secretSchema, secretsSchema, secretRefOf, SECRET_REF, type SecretConfig } from './secrets-schema.js';
