import {
  NodeClient,
  Scope,
  dedupeIntegration,
  defaultStackParser,
  linkedErrorsIntegration,
  makeNodeTransport,
  nodeContextIntegration,
  type ErrorEvent,
} from '@sentry/node';
import type { Config } from '../config/index.js';
import { scrubText } from './logger.js';

export interface CaptureOptions {
  /** The process is about to die of it: an uncaught exception or unhandled rejection. */
  fatal?: 'uncaughtException' | 'unhandledRejection';
}

export interface ErrorReporter {
  capture(err: unknown, context?: Record<string, unknown>, opts?: CaptureOptions): void;
  /** Waits up to timeoutMs for queued reports to be sent. */
  flush(timeoutMs: number): Promise<void>;
  /** Flushes, then releases the client's process listeners; nothing is reported afterwards. */
  close(timeoutMs: number): Promise<void>;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'x-cc-pin-token', 'proxy-authorization']);

/**
 * Removes what may carry credentials or personal data before an event leaves the process:
 * request bodies (passwords, refresh tokens), cookies, auth headers and query strings, and
 * passwords quoted in error messages (a connection string in a driver's error).
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  for (const ex of event.exception?.values ?? []) {
    if (ex.value) ex.value = scrubText(ex.value);
  }
  if (event.message) event.message = scrubText(event.message);
  const req = event.request;
  if (req) {
    delete req.data;
    delete req.cookies;
    delete req.query_string;
    if (req.headers) {
      for (const name of Object.keys(req.headers)) {
        if (SECRET_HEADERS.has(name.toLowerCase())) delete req.headers[name];
      }
    }
  }
  if (event.user) event.user = event.user.id ? { id: event.user.id } : {};
  return event;
}

const noop: ErrorReporter = { capture: () => undefined, flush: async () => undefined, close: async () => undefined };

/**
 * Sentry when SENTRY_DSN is set, otherwise a no-op. The client is deliberately not installed
 * globally (no Sentry.init): that would patch http/pg through OpenTelemetry, which we do not
 * need to report errors, and one global would be shared by every app a test process builds.
 */
export function initErrorReporter(config: Config): ErrorReporter {
  if (!config.SENTRY_DSN) return noop;
  const client = new NodeClient({
    dsn: config.SENTRY_DSN,
    environment: config.APP_ENV,
    release: config.APP_VERSION,
    transport: makeNodeTransport,
    stackParser: defaultStackParser,
    integrations: [linkedErrorsIntegration(), dedupeIntegration(), nodeContextIntegration()],
    sendClientReports: false,
    enableRuntimeChannelInjection: false,
    beforeSend: (event) => scrubEvent(event),
  });
  const scope = new Scope();
  scope.setClient(client);
  scope.setTag('service', 'cc-api');
  if (config.APP_COMMIT !== 'unknown') scope.setTag('commit', config.APP_COMMIT);
  client.init();

  let closed = false;
  return {
    capture(err, context = {}, opts = {}) {
      if (closed) return;
      const s = scope.clone();
      if (opts.fatal) s.setLevel('fatal');
      for (const [key, value] of Object.entries(context)) {
        if (value === undefined || value === null) continue;
        // Short scalar context (request id, route, method) becomes searchable tags.
        if (typeof value === 'string' && value.length <= 200) s.setTag(key, value);
        else s.setExtra(key, value);
      }
      // handled: false marks it as a crash in Sentry, as its own global handlers would.
      s.captureException(err, opts.fatal ? { mechanism: { type: opts.fatal === 'uncaughtException' ? 'onuncaughtexception' : 'onunhandledrejection', handled: false } } : undefined);
    },
    async flush(timeoutMs) {
      await client.flush(timeoutMs);
    },
    async close(timeoutMs) {
      if (closed) return;
      closed = true;
      await client.close(timeoutMs);
    },
  };
}
