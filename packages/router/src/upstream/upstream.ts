// The data plane's view of an upstream HTTP client: one request in, head/body/end/error
// callbacks out, with back-pressure both ways. The proxy handler only sees this interface,
// so the client behind it can be swapped (and was measured that way: bench:router).
import type { Readable } from 'node:stream';

export interface ExchangeHandler {
  /** Headers exclude hop-by-hop ones and Transfer-Encoding (the server re-frames the body). */
  onHead(status: number, headers: string[], hasRequestId: boolean): void;
  /**
   * `last` is true when this chunk completes the body. Return false to pause the
   * upstream until `resume()` is called on the exchange.
   */
  onBody(chunk: Buffer, last: boolean): boolean;
  onEnd(): void;
  onError(err: UpstreamError): void;
}

export class UpstreamError extends Error {
  /** ECONNREFUSED, ETIMEDOUT, ECONNTIMEOUT, ECONNRESET, UPSTREAM_CLOSED, UPSTREAM_BAD_RESPONSE, POOL_CLOSED... */
  readonly code: string;
  /** Failed on a reused connection before any response byte: safe to resend if idempotent. */
  readonly stale: boolean;

  constructor(code: string, message: string, stale: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.stale = stale;
  }
}

export interface OutgoingRequest {
  method: string;
  /** The request target as the client sent it (path and query). */
  path: string;
  /** End-to-end request headers as flat name/value pairs, raw bytes held as latin1 strings. */
  headers: string[];
  isHead: boolean;
  /** The client's body stream, or undefined for a bodyless request. */
  body: Readable | undefined;
  /** Frame the body as chunked (the client sent it chunked; Node de-chunked it). */
  chunked: boolean;
}

export interface PoolOptions {
  maxSockets: number;
  /** Free sockets idle longer than this are closed before the upstream closes them. */
  idleMs: number;
  /** No bytes for this long on an active exchange: ETIMEDOUT. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Handle on one request in flight. */
export interface UpstreamExchange {
  /** Drops the exchange: no more callbacks, and its connection is closed (it is mid-response). */
  abort(): void;
  /** Continues a body that onBody paused by returning false. */
  resume(): void;
}

/** Keep-alive connections to one upstream target. */
export interface UpstreamClient {
  /** Sends a request; a refused or closed client reports through `handler.onError`, never throws. */
  request(req: OutgoingRequest, handler: ExchangeHandler): UpstreamExchange;
  /** Refuses new requests and closes idle connections; in-flight exchanges go on. */
  close(): void;
  /** close() and cut in-flight exchanges too. */
  destroy(): void;
}
