// Backups: pg_dump -Fc with its sha256, verified by a real restore; see each file.
export { createBackup, newBackupId, type CreateBackupInput, type CreatedBackup } from './create.js';
export type { WalPosition } from './wal-position.js';
export { verifyBackup, checkDumpFile, compareCounts, runSanityQueries, sha256OfFile, type VerifyInput } from './verify.js';
export { restoreBackup, type RestoreInput, type RestoreResult } from './restore.js';
export { pruneBackups, protectedReleaseIds, type PruneResult } from './retention.js';
export { backupDir } from './locate.js';
export * from './records.js';
export { tableCounts, schemaVersion, listTables } from './table-counts.js';
export { createScratch, pgRestore, type Scratch } from './scratch.js';
