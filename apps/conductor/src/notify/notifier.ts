import type pg from 'pg';
import type { EnvironmentConfig } from '../config/index.js';
import { redactDeep } from '../command/index.js';
import { EmailChannel } from './email-channel.js';
import { renderNotification } from './templates.js';
import { NOTIFY_EVENTS, type Delivery, type Notifier, type NotifyChannel, type NotifyData, type NotifyEvent } from './types.js';
import { WebhookChannel } from './webhook-channel.js';

export interface NotifierOptions {
  /** Where EmailChannel reads smtp.passwordEnv; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-delivery timeout; default 5 s for webhooks, 10 s for SMTP. */
  timeoutMs?: number;
  /** Told about each failed delivery (already scrubbed), e.g. to print a warning. */
  onFailure?: (d: Delivery) => void;
}

/** Channels from environments.<env>.notifications. */
export function channelsFor(env: Pick<EnvironmentConfig, 'notifications'>, opts: NotifierOptions = {}): NotifyChannel[] {
  return env.notifications.map((n) =>
    n.type === 'webhook' ? new WebhookChannel(n.url, n.events, opts.timeoutMs) : new EmailChannel(n, opts.env, opts.timeoutMs),
  );
}

/** Event names in `events` filters that no template has: a typo would silence a channel. */
export function unknownNotifyEvents(env: Pick<EnvironmentConfig, 'notifications'>): Array<{ path: string; event: string }> {
  const out: Array<{ path: string; event: string }> = [];
  env.notifications.forEach((n, i) =>
    (n.events ?? []).forEach((e, j) => {
      if (!(NOTIFY_EVENTS as readonly string[]).includes(e)) out.push({ path: `notifications[${i}].events[${j}]`, event: e });
    }),
  );
  return out;
}

type Db = Pick<pg.Pool, 'query'>;

/** Builds a Notifier over the given channels, recording every delivery in `notifications`. */
export function notifierFrom(channels: NotifyChannel[], db: Db | null, opts: NotifierOptions = {}): Notifier {
  return {
    channels: channels.map((c) => c.label),
    async notify(event: NotifyEvent, data: NotifyData) {
      const message = redactDeep(renderNotification(event, data));
      const targets = channels.filter((c) => c.accepts(event));
      const deliveries = await Promise.all(
        targets.map(async (c): Promise<Delivery> => {
          try {
            await c.send(message);
            return { channel: c.label, ok: true };
          } catch (err) {
            return { channel: c.label, ok: false, error: (err as Error).message };
          }
        }),
      );
      for (const d of deliveries) {
        if (!d.ok) opts.onFailure?.(d);
        if (!db) continue;
        await db
          .query('INSERT INTO notifications (release_id, channel, event, ok, error) VALUES ($1, $2, $3, $4, $5)', [data.releaseId, d.channel, event, d.ok, d.error ?? null])
          .catch((err: Error) => {
            // the store being down must not turn a sent notification into a failed deploy
            opts.onFailure?.({ channel: d.channel, ok: false, error: `could not record delivery: ${err.message}` });
          });
      }
      return { event, deliveries, ok: deliveries.every((d) => d.ok) };
    },
  };
}

/**
 * The notifier of one environment: its configured webhook and email channels, deliveries
 * recorded in the store's notifications table (db null: not recorded). Never throws on
 * delivery; see Notifier.notify.
 *
 * Example (deploy / rollback):
 *   const notifier = createNotifier(ctx.env, ctx.store, { onFailure: (d) => warn(d.error) });
 *   await notifier.notify('rollback-initiated', { releaseId, env, version, previousVersion,
 *     reason, metrics: [{ name: 'error-rate', value: 0.21, threshold: 0.05, baseline: 0.01 }] });
 */
export function createNotifier(envConfig: Pick<EnvironmentConfig, 'notifications'>, db: Db | null, opts: NotifierOptions = {}): Notifier {
  return notifierFrom(channelsFor(envConfig, opts), db, opts);
}
