// Keep-alive connections to one upstream target, and one request/response exchange at a
// time on each. Reused sockets that turn out to be closed by the upstream (the keep-alive
// race) are reported as `stale`, so bodyless idempotent requests can be resent safely.
import net from 'node:net';
import { ResponseParser, type ResponseEvents } from './response-parser.js';
import { UpstreamError, type ExchangeHandler, type OutgoingRequest, type PoolOptions, type UpstreamClient, type UpstreamExchange } from './upstream.js';

interface Waiter {
  req: OutgoingRequest;
  handler: ExchangeHandler;
  exchange: Exchange;
}

/** Handle on one request in flight; lets the client side pause, resume or abort it. */
export class Exchange implements UpstreamExchange {
  conn: Connection | undefined;
  aborted = false;

  /** Drops the exchange: no more callbacks, and its connection is closed (it is mid-response). */
  abort(): void {
    this.aborted = true;
    this.conn?.abandon();
  }

  resume(): void {
    this.conn?.socket.resume();
  }
}

export class UpstreamPool implements UpstreamClient {
  private readonly free: Connection[] = [];
  private readonly waiting: Waiter[] = [];
  private open = 0;
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly opts: PoolOptions,
  ) {}

  request(req: OutgoingRequest, handler: ExchangeHandler): Exchange {
    const exchange = new Exchange();
    if (this.closed) {
      process.nextTick(() => handler.onError(new UpstreamError('POOL_CLOSED', 'target removed', false)));
      return exchange;
    }
    const now = Date.now();
    let conn = this.free.pop();
    while (conn !== undefined && now - conn.idleSince > this.opts.idleMs) {
      conn.destroy();
      conn = this.free.pop();
    }
    if (conn !== undefined) {
      conn.start(req, handler, exchange, true);
    } else if (this.open < this.opts.maxSockets) {
      this.connect().start(req, handler, exchange, false);
    } else {
      this.waiting.push({ req, handler, exchange });
    }
    return exchange;
  }

  /** Closes idle sockets and refuses new requests; in-flight exchanges go on. */
  close(): void {
    this.closed = true;
    for (const c of this.free.splice(0)) c.destroy();
    for (const w of this.waiting.splice(0)) w.handler.onError(new UpstreamError('POOL_CLOSED', 'target removed', false));
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** close() and cut in-flight exchanges too. */
  destroy(): void {
    this.close();
    for (const c of [...this.all]) c.destroy();
  }

  private readonly all = new Set<Connection>();

  private connect(): Connection {
    this.open++;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.setTimeout(this.opts.connectTimeoutMs);
    const conn = new Connection(socket, this);
    this.all.add(conn);
    if (!this.sweeper) {
      // Closing idle sockets on our side first avoids most of the keep-alive race.
      this.sweeper = setInterval(() => this.sweep(), Math.max(250, this.opts.idleMs / 2));
      this.sweeper.unref();
    }
    return conn;
  }

  private sweep(): void {
    const now = Date.now();
    for (let i = this.free.length - 1; i >= 0; i--) {
      const c = this.free[i]!;
      if (now - c.idleSince > this.opts.idleMs) c.destroy();
    }
  }

  /** @internal called by Connection */
  released(conn: Connection): void {
    const w = this.waiting.shift();
    if (w !== undefined) {
      if (w.exchange.aborted) return this.released(conn);
      conn.start(w.req, w.handler, w.exchange, true);
      return;
    }
    if (this.closed) {
      conn.destroy();
      return;
    }
    conn.idleSince = Date.now();
    this.free.push(conn);
  }

  /** @internal called by Connection once its socket is gone */
  gone(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    this.open--;
    const i = this.free.indexOf(conn);
    if (i >= 0) this.free.splice(i, 1);
    // A slot opened up: start the next queued request on a new connection.
    const w = this.waiting.shift();
    if (w !== undefined && !this.closed) this.connect().start(w.req, w.handler, w.exchange, false);
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }
}

class Connection implements ResponseEvents {
  idleSince = 0;
  private handler: ExchangeHandler | undefined;
  private exchange: Exchange | undefined;
  private reused = false;
  private completed = false;
  private keepAlive = false;
  private bodyDone = true;
  private connected = false;
  private dead = false;
  private readonly parser: ResponseParser;

  constructor(
    readonly socket: net.Socket,
    private readonly pool: UpstreamPool,
  ) {
    this.parser = new ResponseParser(this);
    socket.on('connect', () => {
      this.connected = true;
      // Requests are written whole; Nagle would only delay the next one behind an ACK.
      socket.setNoDelay(true);
      socket.setTimeout(pool.timeoutMs);
    });
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('timeout', () => this.fail(new UpstreamError('ETIMEDOUT', 'upstream timed out', false)));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new UpstreamError(err.code ?? 'ECONNRESET', err.message, this.isStale(), err)));
    socket.on('close', () => {
      this.dead = true;
      if (this.handler !== undefined && !this.parser.finishOnClose()) {
        this.fail(new UpstreamError('UPSTREAM_CLOSED', 'upstream closed the connection', this.isStale()));
      } else {
        this.maybeFinish();
      }
      this.pool.gone(this);
    });
  }

  start(req: OutgoingRequest, handler: ExchangeHandler, exchange: Exchange, reused: boolean): void {
    this.handler = handler;
    this.exchange = exchange;
    exchange.conn = this;
    this.reused = reused;
    this.completed = false;
    this.parser.reset(req.isHead);
    const socket = this.socket;
    const head = requestHead(req);
    if (req.body === undefined) {
      this.bodyDone = true;
      // Header strings hold raw bytes as latin1 (as node:http parsed them), so they go out byte for byte.
      socket.write(head, 'latin1');
      return;
    }
    this.bodyDone = false;
    socket.write(head, 'latin1');
    const body = req.body;
    const chunked = req.chunked;
    const onChunk = (c: Buffer) => {
      if (this.dead) return;
      const ok = chunked ? socket.write(`${c.length.toString(16)}\r\n`) && socket.write(c) && socket.write('\r\n') : socket.write(c);
      if (!ok) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    };
    body.on('data', onChunk);
    body.once('end', () => {
      body.off('data', onChunk);
      if (this.dead) return;
      if (chunked) socket.write('0\r\n\r\n');
      this.bodyDone = true;
      this.maybeFinish();
    });
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  abandon(): void {
    this.handler = undefined;
    this.exchange = undefined;
    this.destroy();
  }

  private isStale(): boolean {
    return this.reused && !this.parser.started;
  }

  private onData(d: Buffer): void {
    if (this.handler === undefined) {
      // Bytes on an idle connection: nothing may be sent unasked, so it cannot be trusted.
      this.destroy();
      return;
    }
    try {
      this.parser.execute(d);
    } catch (err) {
      if (this.completed) {
        this.destroy();
        return;
      }
      this.fail(new UpstreamError('UPSTREAM_BAD_RESPONSE', (err as Error).message, false, err));
      return;
    }
    this.maybeFinish();
  }

  onHead(status: number, headers: string[], hasRequestId: boolean): void {
    this.handler?.onHead(status, headers, hasRequestId);
  }

  onBody(chunk: Buffer, last: boolean): void {
    const h = this.handler;
    if (h !== undefined && !h.onBody(chunk, last)) this.socket.pause();
  }

  onComplete(keepAlive: boolean): void {
    this.completed = true;
    this.keepAlive = keepAlive;
  }

  /** Hands the response end to the client side and the socket back to the pool. */
  private maybeFinish(): void {
    if (!this.completed || this.handler === undefined) return;
    const h = this.handler;
    if (!this.bodyDone) {
      // The upstream answered before reading the whole body (e.g. 413): finish the
      // client side, but never reuse a connection with a half-sent request on it.
      this.keepAlive = false;
    }
    this.handler = undefined;
    this.exchange = undefined;
    h.onEnd();
    if (this.keepAlive && !this.dead) {
      this.socket.resume();
      this.pool.released(this);
    } else {
      this.destroy();
    }
  }

  private fail(err: UpstreamError): void {
    const h = this.handler;
    this.handler = undefined;
    this.exchange = undefined;
    this.destroy();
    if (h !== undefined && !this.completed) h.onError(err.code === 'ETIMEDOUT' && !this.connected ? new UpstreamError('ECONNTIMEOUT', 'connect timed out', false) : err);
  }
}

function requestHead(req: OutgoingRequest): string {
  const h = req.headers;
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  for (let i = 0; i < h.length; i += 2) head += `${h[i]!}: ${h[i + 1]!}\r\n`;
  if (req.chunked) head += 'Transfer-Encoding: chunked\r\n';
  return `${head}\r\n`;
}
