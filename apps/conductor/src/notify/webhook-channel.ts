import { toSlack } from './slack.js';
import { scrubSecrets } from './scrub.js';
import type { NotifyChannel, NotifyEvent, NotifyMessage } from './types.js';

/** Posts Slack-compatible JSON to an incoming-webhook URL. */
export class WebhookChannel implements NotifyChannel {
  readonly label: string;
  private readonly secrets: string[];

  constructor(
    private readonly url: string,
    private readonly events: readonly string[] | undefined,
    private readonly timeoutMs = 5000,
  ) {
    const u = new URL(url);
    // host only: the path and query of a chat webhook are its credential
    this.label = `webhook:${u.host}`;
    this.secrets = [url, `${u.pathname}${u.search}`, ...(u.password ? [u.password] : [])].filter((s) => s.length > 1);
  }

  accepts(event: NotifyEvent): boolean {
    return !this.events || this.events.includes(event);
  }

  async send(message: NotifyMessage): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(toSlack(message)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Error(scrubSecrets(`POST to ${this.label} failed: ${why}`, this.secrets), { cause: err });
    }
    const body = await res.text().catch(() => '');
    if (!res.ok) throw new Error(scrubSecrets(`${this.label} answered ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}`, this.secrets));
  }
}
