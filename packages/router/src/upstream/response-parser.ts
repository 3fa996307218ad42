// An incremental HTTP/1.1 response parser for upstream connections. It exists because
// http.request's machinery cost the proxy more CPU than everything else it does; this
// parser handles exactly what a reverse proxy needs: the status line, end-to-end headers,
// and message framing (Content-Length, chunked, until-close; none for HEAD/204/304; 1xx
// skipped). Bodies are passed on as zero-copy slices of the socket's buffers.

export interface ResponseEvents {
  /** Headers exclude hop-by-hop ones and Transfer-Encoding (the server re-frames the body). */
  onHead(status: number, headers: string[], hasRequestId: boolean): void;
  /** `last`: this chunk completes a Content-Length body (lets the proxy end() in one write). */
  onBody(chunk: Buffer, last: boolean): void;
  /** The whole message arrived; `keepAlive` says whether the connection may be reused. */
  onComplete(keepAlive: boolean): void;
}

export class ResponseParseError extends Error {
  readonly code = 'UPSTREAM_BAD_RESPONSE';
}

const enum State {
  Head,
  Body,
  UntilClose,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Done,
}

const MAX_HEAD = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class ResponseParser {
  private state = State.Done;
  private pendingHead: Buffer | undefined;
  /** Partial chunk-size or trailer line carried across buffers. */
  private line = '';
  private remaining = 0;
  private keepAlive = true;
  private noBody = false;

  constructor(private readonly events: ResponseEvents) {}

  /** Prepares for the response to a new request. */
  reset(requestIsHead: boolean): void {
    this.state = State.Head;
    this.pendingHead = undefined;
    this.line = '';
    this.remaining = 0;
    this.keepAlive = true;
    this.noBody = requestIsHead;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** True once any byte of the current response arrived (a stale socket sends none). */
  get started(): boolean {
    return this.state !== State.Head || this.pendingHead !== undefined;
  }

  /**
   * The upstream closed the connection. Returns true when that ends the message
   * (a body delimited by close); false means the response was cut short.
   */
  finishOnClose(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.events.onComplete(false);
      return true;
    }
    return this.state === State.Done;
  }

  execute(data: Buffer): void {
    let pos = 0;
    const len = data.length;
    while (pos < len) {
      switch (this.state) {
        case State.Head:
          pos = this.parseHead(data, pos);
          if (pos < 0) return;
          break;
        case State.Body: {
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          this.events.onBody(pos === 0 && n === len ? data : data.subarray(pos, pos + n), this.remaining === 0);
          pos += n;
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.UntilClose:
          this.events.onBody(pos === 0 ? data : data.subarray(pos), false);
          return;
        case State.ChunkSize:
        case State.Trailers: {
          const nl = data.indexOf(10, pos);
          if (nl < 0) {
            this.line += data.toString('latin1', pos, len);
            if (this.line.length > 8192) throw new ResponseParseError('chunk line too long');
            return;
          }
          const text = (this.line + data.toString('latin1', pos, nl)).replace(/\r$/, '');
          this.line = '';
          pos = nl + 1;
          if (this.state === State.Trailers) {
            // Trailers are dropped: the client response is re-chunked without them.
            if (text === '') this.complete();
            break;
          }
          const semi = text.indexOf(';');
          const hex = (semi < 0 ? text : text.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseParseError(`bad chunk size "${hex}"`);
          const size = parseInt(hex, 16);
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, len - pos);
          this.events.onBody(data.subarray(pos, pos + n), false);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.remaining = 2;
          }
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after chunk data, possibly split across buffers.
          const n = Math.min(this.remaining, len - pos);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.ChunkSize;
          break;
        }
        case State.Done:
          // Bytes after a complete response: the upstream is not speaking plain HTTP/1.1
          // request/response, so the connection must not be reused.
          this.keepAlive = false;
          throw new ResponseParseError('unexpected bytes after the response');
      }
    }
  }

  /** Returns the position after the head, or -1 when more bytes are needed. */
  private parseHead(data: Buffer, pos: number): number {
    let buf = data;
    let start = pos;
    if (this.pendingHead !== undefined) {
      buf = Buffer.concat([this.pendingHead, data.subarray(pos)]);
      start = 0;
    }
    const end = buf.indexOf(CRLFCRLF, start);
    if (end < 0) {
      if (buf.length - start > MAX_HEAD) throw new ResponseParseError('response head too large');
      this.pendingHead = start === 0 && buf !== data ? buf : Buffer.from(buf.subarray(start));
      return -1;
    }
    const consumedFromData = this.pendingHead !== undefined ? end + 4 - this.pendingHead.length + pos : end + 4;
    this.pendingHead = undefined;
    const head = buf.toString('latin1', start, end);
    this.onHeadText(head);
    return consumedFromData;
  }

  private onHeadText(head: string): void {
    if (!head.startsWith('HTTP/1.')) throw new ResponseParseError('not an HTTP/1.x response');
    const http10 = head.charCodeAt(7) === 48; /* '0' */
    const status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    if (!(status >= 100 && status <= 599)) throw new ResponseParseError('bad status line');
    const informational = status < 200;
    if (status === 101) throw new ResponseParseError('protocol upgrades are not proxied');

    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let connection: string | undefined;
    let hasRequestId = false;
    let i = head.indexOf('\r\n');
    while (i >= 0) {
      const next = head.indexOf('\r\n', i + 2);
      const lineEnd = next < 0 ? head.length : next;
      const colon = head.indexOf(':', i + 2);
      if (colon < 0 || colon > lineEnd) throw new ResponseParseError('bad header line');
      const name = head.slice(i + 2, colon);
      const value = head.slice(colon + 1, lineEnd).trim();
      i = next;
      const n = name.length;
      if (n === 14 || n === 17 || n === 10 || n === 16 || n === 12) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') {
          if (!/^\d{1,15}$/.test(value) || (contentLength >= 0 && contentLength !== Number(value))) {
            throw new ResponseParseError('bad content-length');
          }
          contentLength = Number(value);
        } else if (lower === 'transfer-encoding') {
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          if (!chunked) throw new ResponseParseError(`unsupported transfer-encoding "${value}"`);
          continue;
        } else if (lower === 'connection') {
          connection = value.toLowerCase();
          continue;
        } else if (lower === 'keep-alive' || lower === 'proxy-connection') {
          continue;
        } else if (lower === 'x-request-id') {
          hasRequestId = true;
        } else if (lower === 'x-cc-served-by') {
          continue;
        }
      }
      headers.push(name, value);
    }
    if (informational) {
      // 100 Continue / 103 Early Hints: not forwarded; the final response follows.
      this.state = State.Head;
      return;
    }
    this.keepAlive = http10 ? connection === 'keep-alive' : connection !== 'close';
    if (chunked) {
      // Framing comes from the chunks; a Content-Length beside them must not reach the client.
      contentLength = -1;
      for (let k = 0; k < headers.length; k += 2) {
        if (headers[k]!.length === 14 && headers[k]!.toLowerCase() === 'content-length') headers.splice(k, 2);
      }
    }
    this.events.onHead(status, headers, hasRequestId);
    if (this.noBody || status === 204 || status === 304) {
      this.complete();
    } else if (chunked) {
      this.state = State.ChunkSize;
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      if (contentLength === 0) this.complete();
      else this.state = State.Body;
    } else {
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
  }

  private complete(): void {
    this.state = State.Done;
    this.events.onComplete(this.keepAlive);
  }
}
