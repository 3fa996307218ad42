// Coded errors of the test bed. The code is stable so tests can assert on it; the message says
// what to do (install a package, run as root), never just what failed.

export type FleetErrorCode =
  | 'usage'
  | 'not_permitted'
  | 'missing_tool'
  | 'no_subnet'
  | 'setup_failed'
  | 'unknown_host'
  | 'command_failed'
  | 'timeout'
  | 'destroyed'
  | 'teardown_failed';

export class FleetError extends Error {
  readonly code: FleetErrorCode;
  constructor(code: FleetErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'FleetError';
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
