// Maintenance mode, compiled once per state: the HTML page, the Retry-After value and the
// CIDR allow-list are prepared up front so the check per request is a boolean and, only
// when enabled, one BlockList lookup.
import net from 'node:net';
import type http from 'node:http';
import { DEFAULT_MAINTENANCE_MESSAGE, maintenanceErrorBody, maintenancePage, type RouterMaintenance } from '@cc/contracts';

export class CompiledMaintenance {
  readonly enabled: boolean;
  private readonly retryAfter: string;
  private readonly message: string;
  private readonly html: Buffer;
  private readonly allow: net.BlockList | undefined;

  constructor(m: RouterMaintenance) {
    this.enabled = m.enabled;
    this.retryAfter = String(m.retryAfter);
    this.message = m.message ?? DEFAULT_MAINTENANCE_MESSAGE;
    this.html = Buffer.from(maintenancePage(this.message));
    if (m.allowCidrs.length > 0) {
      const list = new net.BlockList();
      for (const cidr of m.allowCidrs) {
        const [addr, bits] = cidr.split('/') as [string, string];
        const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
        list.addSubnet(addr, Number(bits), type);
      }
      this.allow = list;
    }
  }

  /** True when this client skips maintenance because its address is allow-listed. */
  allows(remoteAddress: string | undefined): boolean {
    if (!this.allow || !remoteAddress) return false;
    // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; match them as IPv4.
    const v4 = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    if (net.isIPv4(v4)) return this.allow.check(v4, 'ipv4');
    return this.allow.check(remoteAddress, 'ipv6');
  }

  /** 503 with Retry-After: the JSON error for the api service, a page for everything else. */
  respond(res: http.ServerResponse, asJson: boolean, requestId: string): void {
    if (asJson) {
      const body = maintenanceErrorBody(this.message, requestId);
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'retry-after': this.retryAfter,
        'cache-control': 'no-store',
        'x-request-id': requestId,
      });
      res.end(body);
      return;
    }
    res.writeHead(503, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': this.html.length,
      'retry-after': this.retryAfter,
      'cache-control': 'no-store',
      'x-request-id': requestId,
    });
    res.end(this.html);
  }
}
