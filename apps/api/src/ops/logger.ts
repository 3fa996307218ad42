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
