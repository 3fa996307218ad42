// API failures as values the UI can explain. The server's body is {"error":{code,message}};
// the UI never shows that JSON, only the plain words from error-messages.ts.

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  /** Seconds from Retry-After, when the server sent one (rate limits, maintenance). */
  readonly retryAfter: number | undefined;

  constructor(code: string, status: number, message: string, opts: { field?: string; retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.field = opts.field;
    this.retryAfter = opts.retryAfter;
  }
}

/** The refresh token was refused: the player has to log in again. */
export class SessionEndedError extends ApiError {
  constructor(opts: { cause?: unknown } = {}) {
    super('session_ended', 401, 'Your session has ended.', opts);
    this.name = 'SessionEndedError';
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; field?: unknown };
}

/** Reads an error response without trusting its shape (a proxy may answer with HTML). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const retryHeader = res.headers.get('retry-after');
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
  let body: ErrorBody | null = null;
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    body = null;
  }
  const e = body?.error;
  const code = typeof e?.code === 'string' ? e.code : res.status === 503 ? 'unavailable' : `http_${res.status}`;
  const message = typeof e?.message === 'string' ? e.message : res.statusText;
  const field = typeof e?.field === 'string' ? e.field : undefined;
  return new ApiError(code, res.status, message, { ...(field ? { field } : {}), ...(retryAfter !== undefined ? { retryAfter } : {}) });
}
