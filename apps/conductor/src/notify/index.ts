// Release notifications (webhook with Slack JSON, email over SMTP). See notifier.ts.
export { createNotifier, notifierFrom, channelsFor, unknownNotifyEvents, type NotifierOptions } from './notifier.js';
export { renderNotification, metricLine } from './templates.js';
export { toSlack, type SlackPayload } from './slack.js';
export { NOTIFY_EVENTS } from './types.js';
export type { Delivery, Notifier, NotifyChannel, NotifyData, NotifyEvent, NotifyMessage, NotifyMetric, NotifyReport } from './types.js';
