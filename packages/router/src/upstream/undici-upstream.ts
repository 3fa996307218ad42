// The upstream client on undici, Node's own HTTP/1.1 client: a keep-alive Pool per target,
// bodies streamed both ways with back-pressure (controller pause/resume). What the proxy
// needs beyond undici is small: hop-by-hop response headers dropped, undici's error codes
// mapped onto the proxy's (504 for timeouts, eject on refusal), and `stale` for a request
// that met a reused connection closed under it, so a GET can be resent once.
import { Pool, type Dispatcher } from 'undici';
import { UpstreamError, type ExchangeHandler, type OutgoingRequest, type PoolOptions, type UpstreamClient, type UpstreamExchange } from './upstream.js';

export class UndiciUpstream implements UpstreamClient {
  private readonly pool: Pool;
  private closed = false;

  constructor(origin: string, opts: PoolOptions) {
    this.pool = new Pool(origin, {
      connections: opts.maxSockets,
      pipelining: 1,
      // Our idle limit wins over the upstream's Keep-Alive hint, and stays below Node's 5 s.
      keepAliveTimeout: opts.idleMs,
      keepAliveMaxTimeout: opts.idleMs,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: opts.connectTimeoutMs, noDelay: true },
    });
  }

  request(req: OutgoingRequest, handler: ExchangeHandler): UpstreamExchange {
    const exchange = new Exchange(handler);
    if (this.closed) {
      // Asynchronously, as a refused connection would be: the caller has not stored the exchange yet.
      process.nextTick(() => exchange.fail(new UpstreamError('POOL_CLOSED', 'target removed', false)));
      return exchange;
    }
    this.pool.dispatch({ method: req.method, path: req.path, headers: req.headers, body: req.body ?? null }, exchange);
    return exchange;
  }

  close(): void {
    this.closed = true;
    this.pool.close().catch(() => {});
  }

  destroy(): void {
    this.closed = true;
    this.pool.destroy().catch(() => {});
  }
}

class Exchange implements Dispatcher.DispatchHandler, UpstreamExchange {
  private controller: Dispatcher.DispatchController | undefined;
  /** Finished, failed or aborted: no more callbacks to the proxy. */
  private done = false;
  private headSeen = false;
  /** Bytes left of a Content-Length body, so the last chunk can end the client response in one write. */
  private remaining = -1;

  constructor(private readonly handler: ExchangeHandler) {}

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort(new UpstreamError('ABORTED', 'the proxy dropped the exchange', false));
  }

  resume(): void {
    this.controller?.resume();
  }

  fail(err: UpstreamError): void {
    if (this.done) return;
    this.done = true;
    this.handler.onError(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new UpstreamError('ABORTED', 'the proxy dropped the exchange', false));
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number): void {
    // 1xx (100 Continue, 103 Early Hints) are not forwarded; the final response follows.
    if (this.done || status < 200) return;
    this.headSeen = true;
    const raw = controller.rawHeaders as Buffer[];
    const headers: string[] = [];
    let hasRequestId = false;
    let chunked = false;
    let length = -1;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      const value = raw[i + 1]!.toString('latin1');
      const n = name.length;
      if (n === 14 || n === 17 || n === 10 || n === 16 || n === 12) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') length = Number(value);
        else if (lower === 'transfer-encoding') {
          chunked = true;
          continue;
        } else if (lower === 'connection' || lower === 'keep-alive' || lower === 'proxy-connection' || lower === 'x-cc-served-by') continue;
        else if (lower === 'x-request-id') hasRequestId = true;
      }
      headers.push(name, value);
    }
    if (chunked) {
      // Framing comes from the chunks; a Content-Length beside them must not reach the client.
      length = -1;
      for (let k = 0; k < headers.length; k += 2) {
        if (headers[k]!.length === 14 && headers[k]!.toLowerCase() === 'content-length') headers.splice(k, 2);
      }
    }
    this.remaining = length > 0 ? length : -1;
    this.handler.onHead(status, headers, hasRequestId);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    let last = false;
    if (this.remaining > 0) {
      this.remaining -= chunk.length;
      last = this.remaining <= 0;
    }
    if (!this.handler.onBody(chunk, last)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    this.handler.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(toUpstreamError(err, this.headSeen));
  }
}

/** undici's codes, mapped onto the ones the proxy acts on (see UpstreamError). */
function toUpstreamError(err: Error, headSeen: boolean): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as Error & { code?: string; socket?: { bytesRead?: number } };
  switch (e.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamError('ETIMEDOUT', 'upstream timed out', false, err);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new UpstreamError('ECONNTIMEOUT', 'connect timed out', false, err);
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new UpstreamError('POOL_CLOSED', 'target removed', false, err);
    case 'UND_ERR_SOCKET': {
      if (e.message === 'bad response' || e.message === 'bad upgrade') return new UpstreamError('UPSTREAM_BAD_RESPONSE', e.message, false, err);
      // Bytes read on this socket before any of this response: it was reused, and the
      // upstream closed it as we sent (the keep-alive race), so the request never arrived.
      const stale = !headSeen && (e.socket?.bytesRead ?? 0) > 0;
      return new UpstreamError('UPSTREAM_CLOSED', 'upstream closed the connection', stale, err);
    }
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_INFO':
      return new UpstreamError('UPSTREAM_BAD_RESPONSE', e.message, false, err);
    default:
      if (e.code?.startsWith('HPE_')) return new UpstreamError('UPSTREAM_BAD_RESPONSE', e.message, false, err);
      return new UpstreamError(e.code ?? 'ECONNRESET', e.message, false, err);
  }
}
