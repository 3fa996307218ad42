// The SQL migration runner shared by the API (its own schema) and the conductor (the `ccr`
// store, lint and rehearsal read the same files the same way).
export { Migrator, type MigratorOptions, type MigrationStatus, type AppliedStep } from './migrator.js';
export { loadMigrationFiles, splitStatements, isIrreversible, isNoTransaction, sha256, type MigrationFile } from './migration-files.js';
export { MigrationError, type MigrationErrorCode } from './errors.js';
