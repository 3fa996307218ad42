// Every failure the router reports carries a stable code, so the admin API, the CLI and
// the conductor can branch on it without matching message text.
export type RouterErrorCode =
  | 'invalid_state'
  | 'invalid_input'
  | 'version_conflict'
  | 'state_read_failed'
  | 'state_write_failed'
  | 'listen_failed'
  | 'invalid_options';

export class RouterError extends Error {
  readonly code: RouterErrorCode;
  /** Dotted path of the offending field, when the error is about input. */
  readonly field: string | undefined;

  constructor(code: RouterErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RouterError';
    this.code = code;
    this.field = options?.field;
  }
}

export function isRouterError(err: unknown): err is RouterError {
  return err instanceof RouterError;
}
