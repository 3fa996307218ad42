export { openStorePool, storeUrlFor, STORE_MIGRATIONS_DIR } from './connect.js';
export { audit, listAudit, type AuditEntry } from './audit.js';
export { cliActor, currentActor, defaultChannel, identityOf, setProcessChannel, CHANNELS, type Actor, type Channel } from './actor.js';
export { EnvLock, lockStatus, forceReleaseLock, type LockInfo } from './lock.js';
export * from './control-requests.js';
export * from './controllers.js';
export * from './releases.js';
