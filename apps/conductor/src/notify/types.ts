// Release notifications: the seed's status updates, sent to the channels an environment
// configures (environments.<env>.notifications). Delivery is best effort: a failing channel
// is recorded and reported, never thrown into the deploy.

export const NOTIFY_EVENTS = [
  'scheduled',
  'started',
  'progress',
  'issue',
  'completed',
  'rollback-initiated',
  'rollback-completed',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A number that tripped a verdict, e.g. the canary's error rate against its threshold. */
export interface NotifyMetric {
  name: string;
  value: number | null;
  threshold?: number | null;
  /** The stable version's value, when compared. */
  baseline?: number | null;
  unit?: string;
}

/** What a template is rendered from. */
export interface NotifyData {
  releaseId: string | null;
  env: string;
  version: string | null;
  previousVersion: string | null;
  reason?: string;
  /** progress: the share of traffic (or of the plan) done, 0-100. */
  percent?: number;
  /** issue / rollback: the numbers that tripped it. */
  metrics?: NotifyMetric[];
  /** scheduled: when it will start. */
  at?: string;
}

/** A rendered status update, channel-neutral. */
export interface NotifyMessage {
  event: NotifyEvent;
  /** One line: the email subject and the chat headline. */
  title: string;
  /** Plain-text body: the email text and the chat fallback. */
  text: string;
  /** Key facts, shown as fields in chat. */
  fields: Array<{ label: string; value: string }>;
  severity: 'info' | 'good' | 'warning' | 'danger';
}

/** One delivery channel (a plugin: webhook, email...). */
export interface NotifyChannel {
  /** Stable label for records and reports; never contains a secret (no webhook path, no password). */
  readonly label: string;
  /** Does this channel want this event (its `events` filter)? */
  accepts(event: NotifyEvent): boolean;
  /** Delivers one message; rejects with an Error whose message is already free of secrets. */
  send(message: NotifyMessage): Promise<void>;
}

export interface Delivery {
  channel: string;
  ok: boolean;
  error?: string;
}

export interface NotifyReport {
  event: NotifyEvent;
  /** One per channel that accepted the event; filtered-out channels are not listed. */
  deliveries: Delivery[];
  /** True when every accepting channel delivered (also true with no channels). */
  ok: boolean;
}

/** What the deploy command and rollback logic call. */
export interface Notifier {
  /** Channels configured for the environment (labels), whatever their filters. */
  readonly channels: readonly string[];
  /** Renders the event, sends it to every accepting channel, records each delivery; never throws. */
  notify(event: NotifyEvent, data: NotifyData): Promise<NotifyReport>;
}
