export type MigrationErrorCode =
  | 'migration_changed'
  | 'migration_failed'
  | 'migration_missing'
  | 'migration_irreversible'
  | 'migration_lock_timeout';

export class MigrationError extends Error {
  readonly code: MigrationErrorCode;
  constructor(code: MigrationErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'MigrationError';
    this.code = code;
  }
}
