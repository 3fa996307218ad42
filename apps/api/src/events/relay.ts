import type { AppContext, RelayStatus } from '../context.js';

// Placeholder: the Kafka relay is being written. Until then events stay in the outbox.
export interface OutboxRelay {
  start(): void;
  /** Publishes what is pending (bounded by the timeout), then disconnects. */
  stop(timeoutMs: number): Promise<void>;
  status(): RelayStatus;
}

export function createRelay(_ctx: AppContext): OutboxRelay {
  return {
    start: () => undefined,
    stop: async () => undefined,
    status: () => ({ enabled: false, connected: false, lastError: null }),
  };
}
