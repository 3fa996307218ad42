// The router's own upstream client: the response parser's framing rules, and both clients'
// handling of the keep-alive race, against raw sockets where node:http would hide them.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { ResponseParser, ResponseParseError } from '../src/upstream/response-parser.js';
import { request } from './support/http-client.js';
import { apiOnly, startRouter } from './support/router-fixture.js';

interface Parsed {
  status?: number;
  headers?: string[];
  body: string;
  complete?: boolean;
  heads: number;
}

function parse(pieces: string[], isHead = false): Parsed {
  const out: Parsed = { body: '', heads: 0 };
  const p = new ResponseParser({
    onHead: (status, headers) => {
      out.heads++;
      out.status = status;
      out.headers = headers;
    },
    onBody: (c) => {
      out.body += c.toString('latin1');
    },
    onComplete: (keepAlive) => {
      out.complete = keepAlive;
    },
  });
  p.reset(isHead);
  for (const piece of pieces) p.execute(Buffer.from(piece, 'latin1'));
  return out;
}

/** Splits a string at every position, to prove framing survives any buffer boundary. */
function everySplit(s: string): string[][] {
  const out: string[][] = [];
  for (let i = 1; i < s.length; i++) out.push([s.slice(0, i), s.slice(i)]);
  return out;
}

describe('response parser', () => {
  test('content-length bodies, split anywhere', () => {
    const msg = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello';
    for (const pieces of everySplit(msg)) {
      const r = parse(pieces);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello');
      assert.equal(r.complete, true);
      assert.deepEqual(r.headers, ['Content-Type', 'text/plain', 'Content-Length', '5'], 'hop-by-hop headers dropped');
    }
  });

  test('chunked bodies are de-chunked, trailers dropped, split anywhere', () => {
    const msg = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const pieces of everySplit(msg)) {
      const r = parse(pieces);
      assert.equal(r.body, 'hello world');
      assert.equal(r.complete, true);
      assert.deepEqual(r.headers, [], 'Transfer-Encoding is not forwarded');
    }
  });

  test('no body for HEAD, 204 and 304; 1xx is skipped', () => {
    assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'], true).complete, true);
    assert.equal(parse(['HTTP/1.1 204 No Content\r\n\r\n']).complete, true);
    assert.equal(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n']).complete, true);
    const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
    assert.equal(r.heads, 1);
    assert.equal(r.status, 201);
    assert.equal(r.body, 'ok');
  });

  test('keep-alive follows HTTP version and Connection', () => {
    assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).complete, false);
    assert.equal(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).complete, false);
    assert.equal(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n']).complete, true);
  });

  test('a body without framing lasts until close', () => {
    const out: string[] = [];
    let keep: boolean | undefined;
    const p = new ResponseParser({ onHead: () => {}, onBody: (c) => void out.push(c.toString()), onComplete: (k) => (keep = k) });
    p.reset(false);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nab'));
    p.execute(Buffer.from('cd'));
    assert.equal(keep, undefined);
    assert.equal(p.finishOnClose(), true);
    assert.equal(out.join(''), 'abcd');
    assert.equal(keep, false);
  });

  test('malformed responses are errors', () => {
    for (const bad of [
      'SMTP ready\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    ]) {
      assert.throws(() => parse([bad]), ResponseParseError, bad);
    }
  });
});

/**
 * A raw upstream that answers the first request on each connection and silently closes
 * the connection on the second: the keep-alive race, made deterministic.
 */
async function racyUpstream(): Promise<{ url: string; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let requests = 0;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const end = buf.indexOf('\r\n\r\n') + 4;
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + len) return;
        buf = buf.slice(end + len);
        requests++;
        if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else socket.destroy();
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections, close: () => server.close() };
}

for (const upstreamClient of ['own', 'undici'] as const) {
  test(`${upstreamClient} client: a GET that meets a connection closed under it is resent on a new one; a POST is not`, async () => {
    const up = await racyUpstream();
    const fx = await startRouter(apiOnly({ id: 'r', version: 'v1', url: up.url, weight: 1 }), { upstreamClient });
    try {
      assert.equal((await request(`${fx.base}/api/a`)).status, 200);
      const post = await request(`${fx.base}/api/b`, { method: 'POST', body: 'x', headers: { 'content-length': '1' } });
      assert.equal(post.status, 502, 'a POST may have had effects, so it is not resent');
      assert.equal((await request(`${fx.base}/api/c`)).status, 200, 'on a new connection');
      const get = await request(`${fx.base}/api/d`);
      assert.equal(get.status, 200, 'resent after the reused connection died without answering');
      assert.equal(get.body, 'ok');
      assert.equal(up.connections(), 3);
    } finally {
      await fx.stop();
      up.close();
    }
  });
}
