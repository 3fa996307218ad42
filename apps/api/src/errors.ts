// Coded errors for the API. Every error that crosses the HTTP boundary is one of these, so the
// response body is always {"error":{"code","message","requestId"}} and never a stack trace.

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'invalid_credentials'
  | 'token_expired'
  | 'token_reused'
  | 'forbidden'
  | 'invalid_invite'
  | 'not_found'
  | 'conflict'
  | 'nickname_taken'
  | 'insufficient_funds'
  | 'already_claimed'
  | 'idempotency_key_required'
  | 'idempotency_key_mismatch'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    opts: { cause?: unknown; field?: string; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    if (opts.field !== undefined) this.field = opts.field;
    if (opts.headers !== undefined) this.headers = opts.headers;
  }
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly issues: string[];
  constructor(issues: string[], opts: { cause?: unknown } = {}) {
    super(`Invalid configuration:\n  - ${issues.join('\n  - ')}`, { cause: opts.cause });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export { MigrationError } from '@cc/pg-migrate';
