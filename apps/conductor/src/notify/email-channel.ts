import { scrubSecrets, secretForms } from './scrub.js';
import type { NotifyChannel, NotifyEvent, NotifyMessage } from './types.js';

export interface EmailChannelConfig {
  smtp: { host: string; port: number; secure: boolean; user?: string | undefined; passwordEnv?: string | undefined };
  from: string;
  to: string[];
  events?: string[] | undefined;
}

/**
 * Email over SMTP (nodemailer). The password is read from the environment variable named by
 * smtp.passwordEnv at send time, and is never logged or put into an error (nodemailer's own
 * logger stays off).
 */
export class EmailChannel implements NotifyChannel {
  readonly label: string;

  constructor(
    private readonly cfg: EmailChannelConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly timeoutMs = 10_000,
  ) {
    this.label = `email:${cfg.smtp.host}:${cfg.smtp.port}`;
  }

  accepts(event: NotifyEvent): boolean {
    return !this.cfg.events || this.cfg.events.includes(event);
  }

  async send(message: NotifyMessage): Promise<void> {
    const { smtp } = this.cfg;
    const password = smtp.passwordEnv ? this.env[smtp.passwordEnv] : undefined;
    if (smtp.passwordEnv && !password) throw new Error(`${this.label}: the SMTP password variable ${smtp.passwordEnv} is not set`);
    const secrets = password ? secretForms(password, smtp.user) : [];
    // loaded on first send: most runs never email, and the CLI's start-up time is rollback time
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: password ?? '' } } : {}),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      logger: false,
      debug: false,
    });
    try {
      await transport.sendMail({ from: this.cfg.from, to: this.cfg.to, subject: message.title, text: message.text });
    } catch (err) {
      const e = err as Error & { code?: string; responseCode?: number };
      const code = [e.code, e.responseCode].filter(Boolean).join(' ');
      // no { cause }: nodemailer's error keeps the SMTP command and response, which for AUTH
      // carry the password in base64; only the scrubbed message leaves this channel
      throw new Error(scrubSecrets(`${this.label}: ${code ? `${code}: ` : ''}${e.message}`, secrets));
    } finally {
      transport.close();
    }
  }
}
