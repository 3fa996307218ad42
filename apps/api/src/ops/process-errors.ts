import type { Logger } from 'pino';
import { scrubText } from './logger.js';
import type { ErrorReporter } from './sentry.js';

export interface ProcessErrorOptions {
  reporter: ErrorReporter;
  logger: Logger;
  /** Upper bound for sending the report before the process exits. */
  flushTimeoutMs: number;
  exit?: (code: number) => void;
}

/**
 * Reports an uncaught exception or unhandled rejection, then exits 1. After either, the
 * process is in an unknown state (a relay loop or timer died half-way), so it is not kept
 * alive: the supervisor restarts the instance. The reporter is not installed globally (see
 * sentry.ts), so without this such crashes would reach stderr only.
 *
 * Rejections are handled explicitly rather than left to Node's default, which an
 * `--unhandled-rejections=warn` in NODE_OPTIONS would silently turn into a warning.
 */
export function installProcessErrorHandlers(opts: ProcessErrorOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let crashing = false;

  const crash = (err: unknown, origin: 'uncaughtException' | 'unhandledRejection') => {
    // Should the event loop empty while we flush, Node must still exit non-zero.
    process.exitCode = 1;
    if (crashing) {
      opts.logger.fatal({ err: loggable(err), origin }, 'another fatal error while exiting');
      return;
    }
    crashing = true;
    opts.logger.fatal({ err: loggable(err), origin }, origin === 'uncaughtException' ? 'uncaught exception; exiting' : 'unhandled promise rejection; exiting');
    try {
      opts.reporter.capture(err, { mechanism: origin }, { fatal: origin });
    } catch (captureErr) {
      opts.logger.error({ err: captureErr }, 'could not report the fatal error');
    }
    // flush() is bounded by its timeout, but a wedged transport must not hold the exit either.
    const guard = setTimeout(() => exit(1), opts.flushTimeoutMs + 500);
    opts.reporter.flush(opts.flushTimeoutMs).then(
      () => {
        clearTimeout(guard);
        exit(1);
      },
      () => {
        clearTimeout(guard);
        exit(1);
      },
    );
  };

  const onException = (err: Error, origin: NodeJS.UncaughtExceptionOrigin) => crash(err, origin);
  const onRejection = (reason: unknown) => crash(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

/** pino's err serializer, with credentials a driver may have quoted in the message removed. */
function loggable(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? scrubText(err) : err;
  return { type: err.name, message: scrubText(err.message), stack: err.stack === undefined ? undefined : scrubText(err.stack) };
}
