export { openStorePool, storeUrlFor, STORE_MIGRATIONS_DIR } from './connect.js';
export { audit, listAudit, type AuditEntry } from './audit.js';
export { currentActor } from './actor.js';
export { EnvLock, lockStatus, forceReleaseLock, type LockInfo } from './lock.js';
export * from './releases.js';
