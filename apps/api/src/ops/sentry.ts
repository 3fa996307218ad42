import type { Config } from '../config/index.js';

// Placeholder: Sentry reporting is being written.
export interface ErrorReporter {
  capture(err: unknown, context?: Record<string, unknown>): void;
  flush(timeoutMs: number): Promise<void>;
}

export function initErrorReporter(_config: Config): ErrorReporter {
  return { capture: () => undefined, flush: async () => undefined };
}
