import { excerpt, redact } from './redact.js';

// One pinned HTTP client for the suite: every request carries the pin headers, and every
// unexpected answer becomes a SmokeFailure whose message says what was expected and what came
// back (status, API error code, body excerpt), with all known secrets scrubbed.

export class SmokeFailure extends Error {
  override readonly name = 'SmokeFailure';
}

export interface SmokeResponse {
  status: number;
  contentType: string;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
}

export class SmokeClient {
  /** Values to scrub from any reported text (tokens, password, invite, pin token). */
  readonly secrets = new Set<string>();

  constructor(
    private readonly baseUrl: string,
    private readonly pinHeaders: Record<string, string>,
    private readonly timeoutMs: number,
  ) {
    for (const [k, v] of Object.entries(pinHeaders)) if (/token|authorization/i.test(k)) this.secrets.add(v);
  }

  async request(method: string, path: string, o: { body?: unknown; bearer?: string; headers?: Record<string, string> } = {}): Promise<SmokeResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.pinHeaders, ...o.headers };
    if (o.bearer) headers['authorization'] = `Bearer ${o.bearer}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const url = new URL(path, this.baseUrl).toString();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new SmokeFailure(`${method} ${path}: request failed (${this.scrub(why)})`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
  }

  /** Fails unless the status is the expected one; returns the JSON body. */
  async expectJson(method: string, path: string, status: number, o: Parameters<SmokeClient['request']>[2] = {}): Promise<Record<string, unknown>> {
    const r = await this.request(method, path, o);
    if (r.status !== status) throw this.unexpected(method, path, `${status}`, r);
    if (!r.json || typeof r.json !== 'object') throw this.unexpected(method, path, `${status} with a JSON body`, r);
    return r.json as Record<string, unknown>;
  }

  /** "POST /api/auth/signup: expected 201, got 403 invite_invalid: <body excerpt>" */
  unexpected(method: string, path: string, expected: string, r: SmokeResponse): SmokeFailure {
    const err = (r.json as { error?: { code?: unknown } } | undefined)?.error;
    const code = typeof err?.code === 'string' ? ` ${err.code}` : '';
    const body = r.text ? `: ${excerpt(this.scrub(r.text))}` : ' (empty body)';
    return new SmokeFailure(`${method} ${path}: expected ${expected}, got ${r.status}${code}${body}`);
  }

  scrub(text: string): string {
    return redact(text, this.secrets);
  }
}
