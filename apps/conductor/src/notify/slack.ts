import type { NotifyMessage } from './types.js';

// Slack-compatible incoming-webhook JSON: `text` is the notification fallback (and all that
// Mattermost/Rocket.Chat-style receivers need); `blocks` carry the layout; the attachment
// gives the colour bar.

const COLORS: Record<NotifyMessage['severity'], string> = { info: '#439FE0', good: '#2EB67D', warning: '#ECB22E', danger: '#E01E5A' };

export interface SlackPayload {
  text: string;
  blocks: unknown[];
  attachments: Array<{ color: string; fallback: string; fields: Array<{ title: string; value: string; short: boolean }> }>;
}

export function toSlack(m: NotifyMessage): SlackPayload {
  return {
    text: `${m.title}\n${m.text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: m.text.split('\n\n')[0]! } },
      { type: 'section', fields: m.fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: `*${f.label}*\n${f.value}` })) },
    ],
    attachments: [
      { color: COLORS[m.severity], fallback: m.title, fields: m.fields.map((f) => ({ title: f.label, value: f.value, short: f.value.length < 40 })) },
    ],
  };
}
