// The data-plane request path. It decides the target (pin, sticky cookie, weight), then
// streams the request and the response through keep-alive upstream pools without parsing
// bodies. Everything per request is plain field access on the current RouteTable, which
// is replaced as a whole on state change.
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { TokenCheck } from './auth.js';
import { isApiPath, isAssetPath, readVersionCookie } from './paths.js';
import type { RouteTable, ServiceTable, VersionGroup } from './route-table.js';
import type { TargetRuntime } from './target-runtime.js';
import type { ExchangeHandler, UpstreamError, UpstreamExchange } from './upstream/upstream.js';

/** The target that answered the previous request on a client connection. */
const kLastTarget = Symbol('cc.lastTarget');
type TrackedSocket = Socket & { [kLastTarget]?: TargetRuntime };

export interface ProxySettings {
  pinCheck: TokenCheck;
  ejectMs: number;
}

export class ProxyHandler {
  /** Swapped as a whole by the router: the atomic state change. */
  table: RouteTable;

  constructor(
    table: RouteTable,
    private readonly settings: ProxySettings,
  ) {
    this.table = table;
  }

  readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const start = performance.now();
    const table = this.table;
    const url = req.url ?? '/';
    const api = isApiPath(url);
    const svc = api ? table.api : table.web;
    const h = req.headers;
    let requestId = h['x-request-id'];
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 200) requestId = randomUUID();

    const pinToken = h['x-cc-pin-token'];
    const privileged = pinToken !== undefined && this.settings.pinCheck.matches(pinToken);
    const pinVersion = h['x-cc-version'];
    // Decision: a pin without a valid token is refused (403), not silently ignored, so a
    // smoke test with a wrong token fails loudly instead of testing the wrong version.
    if (pinVersion !== undefined && !privileged) {
      sendError(res, api, 403, 'pin_forbidden', 'X-CC-Version needs a valid X-CC-Pin-Token', requestId, undefined);
      return;
    }
    if (table.maintenance.enabled && !privileged && !table.maintenance.allows(req.socket.remoteAddress)) {
      table.maintenance.respond(res, api, requestId);
      return;
    }

    const now = Date.now();
    let target: TargetRuntime | undefined;
    let setCookie: string | undefined;
    if (typeof pinVersion === 'string') {
      target = svc.byVersion.get(pinVersion)?.pick(now, true);
      if (!target) {
        sendError(res, api, 503, 'version_unavailable', `no healthy target for version ${pinVersion}`, requestId, undefined);
        return;
      }
    } else {
      let group: VersionGroup | undefined;
      if (svc.split) {
        const sticky = readVersionCookie(h.cookie);
        if (sticky !== undefined) group = svc.activeVersion(sticky);
        if (group && !group.hasEligible(now)) group = undefined;
        if (!group) {
          group = svc.pickVersion(now);
          if (group) setCookie = group.setCookie;
        }
      } else {
        group = svc.pickVersion(now);
      }
      target = group?.pick(now, false);
      if (!target) {
        sendError(res, api, 503, 'no_upstream', `no healthy target for the ${svc.name} service`, requestId, undefined);
        return;
      }
    }
    new ProxyCall(req, res, svc, url, requestId, setCookie, start, this.settings.ejectMs).send(target);
  };
}

/** One client request and its upstream attempts (a resend, asset fallbacks). */
class ProxyCall implements ExchangeHandler {
  private upstream: UpstreamExchange | undefined;
  private current: TargetRuntime | undefined;
  private retried = false;
  private fallbacks: TargetRuntime[] | undefined;
  private holdAsset404 = false;
  private readonly bodyless: boolean;
  private readonly idempotent: boolean;
  private readonly chunked: boolean;
  private headers: string[] | undefined;
  /** Kept here: undici detaches a request body's socket (req.socket = null) once it has sent it. */
  private readonly socket: TrackedSocket;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly svc: ServiceTable,
    private readonly url: string,
    private readonly requestId: string,
    private readonly setCookie: string | undefined,
    private readonly start: number,
    private readonly ejectMs: number,
  ) {
    const m = req.method;
    this.idempotent = m === 'GET' || m === 'HEAD';
    this.socket = req.socket as TrackedSocket;
    const h = req.headers;
    this.chunked = h['transfer-encoding'] !== undefined;
    this.bodyless = h['content-length'] === undefined && !this.chunked;
    // A shared listener and a back-reference instead of a closure per request; 'close'
    // fires once per response, so on() spares once()'s wrapper too.
    (res as CallResponse)[kCall] = this;
    res.on('close', onResponseClose);
  }

  send(target: TargetRuntime): void {
    this.current = target;
    target.begin();
    // Built once: a resend or an asset fallback goes out with the same headers.
    this.headers ??= requestHeaders(this.req, this.requestId, target);
    this.holdAsset404 = this.idempotent && this.bodyless && this.svc.name === 'web' && isAssetPath(this.url);
    const req = this.req;
    this.upstream = target.pool.request(
      { method: req.method!, path: this.url, headers: this.headers, isHead: req.method === 'HEAD', body: this.bodyless ? undefined : req, chunked: this.chunked },
      this,
    );
  }

  onHead(status: number, headers: string[], hasRequestId: boolean): void {
    const target = this.current!;
    if (status === 404 && this.holdAsset404) {
      const next = this.nextFallback(target);
      if (next) {
        // Swallow this 404; onBody/onEnd of this attempt are ignored while we move on.
        this.abandon();
        this.send(next);
        return;
      }
    }
    const res = this.res;
    headers.push('X-CC-Served-By', target.version);
    if (!hasRequestId) headers.push('X-Request-Id', this.requestId);
    if (this.setCookie !== undefined) headers.push('Set-Cookie', this.setCookie);
    const socket = this.socket;
    const last = socket[kLastTarget];
    // A connection last served by a draining target is closed after this response, so
    // clients reconnect and nothing keeps the old version's connections warm.
    if (target.draining || (last !== undefined && last.draining)) headers.push('Connection', 'close');
    socket[kLastTarget] = target;
    res.writeHead(status, headers);
  }

  onBody(chunk: Buffer, last: boolean): boolean {
    const res = this.res;
    if (last) {
      // The whole (rest of the) body is here: one end() writes head and body together.
      res.end(chunk);
      return true;
    }
    if (res.write(chunk)) return true;
    res.once('drain', () => this.upstream?.resume());
    return false;
  }

  onEnd(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  onError(err: UpstreamError): void {
    const target = this.current;
    if (target === undefined) return;
    target.stats.upstreamErrors++;
    const now = Date.now();
    if (err.code === 'ECONNREFUSED') target.eject(now, this.ejectMs);
    if (this.res.headersSent) {
      // Mid-body failure: the status is already out, so the only honest signal is a cut.
      this.release();
      this.res.destroy(err);
      return;
    }
    this.release();
    const resend = this.idempotent && this.bodyless && !this.retried;
    if (resend && err.stale) {
      // The upstream closed a kept-alive socket as we reused it: the request never arrived.
      this.retried = true;
      this.send(target);
      return;
    }
    if (resend && err.code === 'ECONNREFUSED') {
      this.retried = true;
      const alt = this.svc.byVersion.get(target.version)?.pick(now, true, target);
      if (alt) {
        this.send(alt);
        return;
      }
    }
    const timeout = err.code === 'ETIMEDOUT';
    sendError(this.res, this.svc.name === 'api', timeout ? 504 : 502, timeout ? 'upstream_timeout' : 'bad_gateway', 'the upstream did not answer', this.requestId, target);
    // Count it against the version that failed, for the canary analysis.
    target.stats.record(this.res.statusCode, (performance.now() - this.start) / 1000);
  }

  /**
   * Old index.html files reference hashed assets of their own version: after a switch
   * those only exist on earlier versions' targets (kept at weight 0), so a 404 is tried
   * once on each other version before it reaches the client.
   */
  private nextFallback(tried: TargetRuntime): TargetRuntime | undefined {
    if (!this.fallbacks) {
      const now = Date.now();
      this.fallbacks = [];
      for (const g of this.svc.versions) {
        if (g.version === tried.version) continue;
        const rt = g.pick(now, true);
        if (rt) this.fallbacks.push(rt);
      }
    }
    return this.fallbacks.shift();
  }

  /** Drops the current attempt (its connection cannot be reused mid-response). */
  private abandon(): void {
    this.upstream?.abort();
    this.release();
  }

  private release(): void {
    const t = this.current;
    if (t !== undefined) {
      this.current = undefined;
      t.end();
    }
  }

  /** The client response is done (finished or cut): record it and free the target. */
  clientClosed(): void {
    const t = this.current;
    if (t === undefined) return;
    if (this.res.writableFinished) {
      t.stats.record(this.res.statusCode, (performance.now() - this.start) / 1000);
    } else {
      // The client went away first; stop the upstream work too.
      this.upstream?.abort();
    }
    this.release();
  }
}

const kCall = Symbol('cc.proxyCall');
type CallResponse = http.ServerResponse & { [kCall]?: ProxyCall };

function onResponseClose(this: CallResponse): void {
  this[kCall]?.clientClosed();
}

/**
 * Headers for the upstream: the client's headers minus hop-by-hop ones (framing is the
 * upstream client's job) and the pin token (a secret the app has no use for), plus
 * X-Forwarded-For/-Proto and X-Request-Id. Names are compared by length first so most
 * cost one integer check.
 */
function requestHeaders(req: http.IncomingMessage, requestId: string, target: TargetRuntime): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let xff: string | undefined;
  let hasHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const len = k.length;
    if (len === 4 || len === 6 || len === 10 || len === 16 || len === 2 || len === 7 || len === 15 || len === 17 || len === 14 || len === 12 || len === 19) {
      const l = k.toLowerCase();
      if (l === 'x-forwarded-for') {
        xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
        continue;
      }
      if (l === 'host') hasHost = true;
      else if (
        l === 'connection' || l === 'keep-alive' || l === 'proxy-connection' || l === 'te' || l === 'trailer' ||
        l === 'upgrade' || l === 'x-forwarded-proto' || l === 'x-cc-pin-token' || l === 'x-request-id' ||
        l === 'proxy-authorization' || l === 'transfer-encoding' || l === 'expect'
      ) {
        continue;
      }
    }
    out.push(k, raw[i + 1]!);
  }
  const socket = req.socket;
  let ip = socket.remoteAddress ?? '';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  if (!hasHost) out.push('Host', `${target.hostname}:${target.port}`);
  const proto = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out.push('X-Forwarded-For', xff === undefined ? ip : `${xff}, ${ip}`, 'X-Forwarded-Proto', proto, 'X-Request-Id', requestId);
  return out;
}

/** Router-made errors: the JSON error contract for the api service, short text for pages. */
function sendError(
  res: http.ServerResponse,
  json: boolean,
  status: number,
  code: string,
  message: string,
  requestId: string,
  target: TargetRuntime | undefined,
): void {
  const headers: http.OutgoingHttpHeaders = { 'x-request-id': requestId, 'cache-control': 'no-store' };
  if (target) headers['x-cc-served-by'] = target.version;
  let body: string;
  if (json) {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify({ error: { code, message, requestId } });
  } else {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = `${message}\n`;
  }
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}
