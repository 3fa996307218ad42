import pino, { type Logger } from 'pino';

// Anything that can carry a credential is redacted by path, including inside request bodies
// and headers, so a token never reaches the log pipeline even at debug level.
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'refreshToken', '*.refreshToken', '*.*.refreshToken',
  'accessToken', '*.accessToken', '*.*.accessToken',
  '*.*.*.password', '*.*.*.refreshToken', '*.*.*.accessToken',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'token', '*.token', '*.*.token', 'secret', '*.secret',
  'authorization', '*.authorization', '*.*.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-cc-pin-token"]',
  'headers.authorization', 'headers.cookie',
  'res.headers["set-cookie"]',
  'config.JWT_SECRET', 'config.DATABASE_URL', 'config.REDIS_URL', 'config.SENTRY_DSN',
  'JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'SENTRY_DSN',
];

const MAX_DEPTH = 8;

/**
 * Replaces binary values (Buffer, typed arrays, ArrayBuffer) with a short description. The
 * redactor's wildcard paths walk into objects, and walking a Buffer throws inside it ("Method
 * get %TypedArray%.prototype.buffer called on incompatible receiver"): Fastify logs a raw
 * Buffer for a malformed request, which turned one bad header into an uncaught exception.
 * Copies only what it changes, so the common case costs a walk and no allocation.
 */
export function binarySafe(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH || value instanceof Error || value instanceof Date) return value;
  let copy: Record<string, unknown> | unknown[] | null = null;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [k, v] of entries) {
    const safe = binarySafe(v, depth + 1);
    if (safe === v) continue;
    copy ??= Array.isArray(value) ? [...value] : { ...value };
    (copy as Record<string | number, unknown>)[k] = safe;
  }
  return copy ?? value;
}

export function createLogger(opts: { level: string; destination?: NodeJS.WritableStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'cc-api', ...opts.base },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
      },
      // Runs before redaction.
      formatters: { log: (obj) => binarySafe(obj) as Record<string, unknown> },
      hooks: {
        // Logging must never take the process down: should serialising a line still throw,
        // a minimal line says so instead of the caller (often a request) failing.
        logMethod(args, method, level) {
          try {
            method.apply(this, args);
          } catch (err) {
            const msg = typeof args[args.length - 1] === 'string' ? String(args[args.length - 1]) : 'log line';
            try {
              method.apply(this, [{ logError: (err as Error).message, level }, `could not log: ${msg}`] as unknown as Parameters<typeof method>);
            } catch {
              // nothing more we can do without risking the caller
            }
          }
        },
      },
    },
    opts.destination as pino.DestinationStream | undefined,
  );
}

/** Strips credentials from a URL so it can be logged; pino's redact works on paths, not values. */
export function scrubUrl(url: string): string {
  return url.replace(/([?&](?:token|refreshToken|access_token)=)[^&]*/gi, '$1[redacted]');
}

/**
 * Strips credentials from free text such as an error message or stack, where a driver may
 * have quoted a connection string: passwords in URLs (scheme://user:password@host) and token
 * query parameters.
 */
export function scrubText(text: string): string {
  return scrubUrl(text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1[redacted]@'));
}
