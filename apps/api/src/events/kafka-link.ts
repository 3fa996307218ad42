import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import type { EventPublisher } from './kafka-publisher.js';

// The relay's view of its Kafka connection: whether it is up, why it last failed and how many
// times in a row. Readiness, the relay's backoff and its log lines all read it from here.

const PING_EVERY_MS = 5000;

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class KafkaLink {
  connected = false;
  lastError: string | null = null;
  /** Failures in a row since the last successful connect; sizes the backoff. */
  failures = 0;
  private lastPing = Date.now();

  constructor(
    readonly publisher: EventPublisher,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Records a failed connect, send or ping; logs only when the state or the reason changes. */
  fail(err: unknown): void {
    const msg = errorMessage(err);
    this.metrics.relayErrors.inc();
    this.failures += 1;
    if (this.connected || this.lastError !== msg) this.log.warn({ err: msg, failures: this.failures }, 'kafka unavailable; events stay in the outbox');
    this.connected = false;
    this.lastError = msg;
    void this.publisher.disconnect();
  }

  /** Connects when not connected; false (with the failure recorded) when Kafka cannot be reached. */
  async ensureConnected(): Promise<boolean> {
    if (this.connected) return true;
    try {
      await this.publisher.connect();
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (this.lastError) this.log.info({ afterFailures: this.failures }, 'kafka reachable again; relaying the backlog');
    else this.log.info('kafka relay connected');
    this.connected = true;
    this.lastError = null;
    this.failures = 0;
    this.lastPing = Date.now();
    return true;
  }

  /**
   * While idle, a silent broker would only be noticed at the next event; a ping every few
   * seconds keeps readiness honest. Returns whether the link is (still) up.
   */
  async checkIdle(): Promise<boolean> {
    if (!this.connected) return this.ensureConnected();
    if (Date.now() - this.lastPing >= PING_EVERY_MS) {
      this.lastPing = Date.now();
      await this.publisher.ping().catch((err: unknown) => this.fail(err));
    }
    return this.connected;
  }
}
