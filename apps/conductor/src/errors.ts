// Coded conductor errors. The code is stable (tests and --json output rely on it), and each
// code has one exit status (EXIT_STATUS below; DESIGN §4 and the README list them).

/** Exit status of every error code. */
export const EXIT_STATUS = {
  /** The command line is wrong (an unknown value, a missing argument, a needed --yes). */
  usage: 64,
  /** rollout.yaml (or an option standing for it) is invalid. */
  config_invalid: 64,
  /** The state does not allow it now: a release in flight, a version still attached, nothing to roll back. */
  conflict: 4,
  /** Another conductor holds the environment's lock (or another runtime runs). */
  lock_held: 4,
  /** A pre-deployment gate failed before any traffic moved. */
  gate_failed: 2,
  not_found: 1,
  command_failed: 1,
  git_failed: 1,
  build_failed: 1,
  artifact_invalid: 1,
  supervisor_failed: 1,
  instance_not_ready: 1,
  router_failed: 1,
  store_failed: 1,
  backup_failed: 1,
  pitr_failed: 1,
  /** A secret could not be read from its provider (secrets: in rollout.yaml). */
  secret_failed: 1,
  step_failed: 1,
  not_implemented: 1,
  /** Anything not coded (a bug): --json reports it as `internal`. */
  internal: 1,
} as const satisfies Record<string, number>;

export type CcrErrorCode = keyof typeof EXIT_STATUS;

export class CcrError extends Error {
  readonly code: CcrErrorCode;
  readonly exitCode: number;
  readonly details?: Record<string, unknown>;
  /** `exitCode` overrides the code's status only where a command documents its own (deploy: 2 = refused before traffic). */
  constructor(code: CcrErrorCode, message: string, opts: { cause?: unknown; exitCode?: number; details?: Record<string, unknown> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CcrError';
    this.code = code;
    this.exitCode = opts.exitCode ?? EXIT_STATUS[code];
    if (opts.details) this.details = opts.details;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
