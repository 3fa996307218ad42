import { createServer, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';

// A local HTTP listener stands in for sentry.io: the real SDK sends real envelopes to it.

export interface Envelope {
  url: string;
  headers: IncomingHttpHeaders;
  raw: string;
  items: Array<{ header: { type: string }; payload: Record<string, unknown> }>;
}

export interface SentryIngest {
  /** A DSN that points the SDK at this listener. */
  dsn: string;
  envelopes: Envelope[];
  /** Error events received so far, with the envelope that carried each. */
  events(): Array<{ envelope: Envelope; event: Record<string, unknown> }>;
  close(): Promise<void>;
}

function parseEnvelope(raw: string): Envelope['items'] {
  const lines = raw.split('\n').filter(Boolean);
  const items: Envelope['items'] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    items.push({ header: JSON.parse(lines[i]!) as { type: string }, payload: JSON.parse(lines[i + 1]!) as Record<string, unknown> });
  }
  return items;
}

export async function startSentryIngest(): Promise<SentryIngest> {
  const envelopes: Envelope[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const raw = body.toString('utf8');
      envelopes.push({ url: req.url ?? '', headers: req.headers, raw, items: parseEnvelope(raw) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    envelopes,
    events: () => envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'event').map((i) => ({ envelope: e, event: i.payload }))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
