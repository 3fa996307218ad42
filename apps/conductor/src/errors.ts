// Coded conductor errors. The code is stable (tests and --json output rely on it); the exit
// code follows DESIGN §4 for deploy (2 gate failed, 3 rolled back, 1 other).

export type CcrErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'not_found'
  | 'command_failed'
  | 'git_failed'
  | 'build_failed'
  | 'artifact_invalid'
  | 'supervisor_failed'
  | 'instance_not_ready'
  | 'router_failed'
  | 'lock_held'
  | 'store_failed'
  | 'gate_failed'
  | 'backup_failed'
  | 'pitr_failed'
  | 'migration_hazard'
  | 'rolled_back'
  | 'step_failed'
  | 'not_implemented'
  | 'aborted'
  | 'internal';

export class CcrError extends Error {
  readonly code: CcrErrorCode;
  readonly exitCode: number;
  readonly details?: Record<string, unknown>;
  constructor(code: CcrErrorCode, message: string, opts: { cause?: unknown; exitCode?: number; details?: Record<string, unknown> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CcrError';
    this.code = code;
    this.exitCode = opts.exitCode ?? (code === 'usage' || code === 'config_invalid' ? 64 : 1);
    if (opts.details) this.details = opts.details;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
