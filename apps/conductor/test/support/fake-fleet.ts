import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRouter, type Router } from '@cc/router';
import { CcrError } from '../../src/errors.js';
import { RouterAdminClient } from '../../src/runtime/router-client.js';
import type { InstanceController, InstanceInfo, StartOptions } from '../../src/supervisor/types.js';
import { LocalTarget } from '../../src/targets/local-target.js';

// A real router in front of small real HTTP upstreams, one per "instance". The controller
// behaves like the supervisor (start resolves once ready, never routes), so the local target
// and the strategies run unchanged; only the app is simplified. Each version's behaviour is
// configurable: a share of 500s on slot spins, never becoming ready, extra latency.

export interface VersionBehaviour {
  errorRate?: number;
  neverReady?: boolean;
  delayMs?: number;
}

interface Upstream {
  info: InstanceInfo;
  server: http.Server;
}

export class FakeFleet implements InstanceController {
  readonly behaviour = new Map<string, VersionBehaviour>();
  private readonly upstreams = new Map<string, Upstream>();
  private seq = 0;
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  /** start:<version> / stop:<version> in the order they happened. */
  readonly log: string[] = [];

  async start(version: string, count: number, opts: StartOptions = {}): Promise<InstanceInfo[]> {
    const b = this.behaviour.get(version) ?? {};
    const out: Upstream[] = [];
    for (let i = 0; i < count; i++) out.push(await this.spawn(version, b));
    if (b.neverReady) {
      await new Promise((r) => setTimeout(r, Math.min(opts.readyTimeoutMs ?? 1000, 1500)));
      await Promise.all(out.map((u) => this.stop(u.info.id)));
      throw new CcrError('instance_not_ready', `instance(s) of ${version} did not become ready`);
    }
    for (const u of out) u.info.state = 'ready';
    return out.map((u) => ({ ...u.info }));
  }

  async list(): Promise<InstanceInfo[]> {
    return [...this.upstreams.values()].map((u) => ({ ...u.info }));
  }

  async stop(id: string): Promise<void> {
    const u = this.upstreams.get(id);
    if (!u) throw new CcrError('not_found', `no instance ${id}`);
    u.info.state = 'stopping';
    this.upstreams.delete(id);
    this.stopped.push(id);
    this.log.push(`stop:${u.info.version}`);
    await new Promise<void>((r) => {
      u.server.close(() => r());
      u.server.closeIdleConnections();
    });
  }

  async stopVersion(version: string): Promise<InstanceInfo[]> {
    const victims = [...this.upstreams.values()].filter((u) => u.info.version === version).map((u) => ({ ...u.info }));
    for (const v of victims) await this.stop(v.id);
    return victims;
  }

  async close(): Promise<void> {
    for (const id of [...this.upstreams.keys()]) await this.stop(id);
  }

  private async spawn(version: string, b: VersionBehaviour): Promise<Upstream> {
    const id = `api-${version}-${++this.seq}`;
    const server = http.createServer((req, res) => {
      const send = (status: number, type: string, body: string) => {
        const go = () => {
          res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        };
        if (b.delayMs) setTimeout(go, b.delayMs);
        else go();
      };
      const url = req.url ?? '/';
      if (url.startsWith('/health')) return send(b.neverReady ? 503 : 200, 'application/json', '{"status":"ok"}');
      if (url === '/version') return send(200, 'application/json', JSON.stringify({ version }));
      if (url.startsWith('/api/games/slots/spin') && Math.random() < (b.errorRate ?? 0)) return send(500, 'application/json', '{"error":{"code":"internal"}}');
      if (url.startsWith('/api/')) return send(200, 'application/json', JSON.stringify({ ok: true, version }));
      if (url.startsWith(`/assets/${version}.js`)) return send(200, 'text/javascript', `console.log(${JSON.stringify(version)})`);
      if (url.startsWith('/assets/')) return send(404, 'text/plain', 'not found');
      return send(200, 'text/html', `<!doctype html><html><head><meta name="cc-version" content="${version}"><script src="/assets/${version}.js"></script></head></html>`);
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const info: InstanceInfo = { id, version, port, metricsPort: null, url: `http://127.0.0.1:${port}`, pid: process.pid, state: 'starting', restarts: 0, startedAt: new Date().toISOString(), lastExit: null, logFile: '/dev/null' };
    const u = { info, server };
    this.upstreams.set(id, u);
    this.started.push(id);
    this.log.push(`start:${version}`);
    return u;
  }
}

export interface Stage {
  fleet: FakeFleet;
  router: Router;
  target: LocalTarget;
  publicUrl: string;
  close(): Promise<void>;
}

/** A router + fake fleet with `version` running on `instances` instances and all traffic on it. */
export async function stage(version: string, instances = 2): Promise<Stage> {
  const adminToken = 'admin-token-for-tests';
  const pinToken = 'pin-token-for-tests';
  const router = await createRouter({ adminToken, pinToken, host: '127.0.0.1', healthCheck: { intervalMs: 200, timeoutMs: 500 }, drainTimeoutMs: 2000 });
  const { port, adminPort } = await router.listen();
  const fleet = new FakeFleet();
  const publicUrl = `http://127.0.0.1:${port}`;
  const target = new LocalTarget({ controller: fleet, router: new RouterAdminClient(`http://127.0.0.1:${adminPort}`, adminToken), publicUrl, pinToken });
  await target.start(version, instances);
  await target.route({ api: { [version]: 100 }, web: { [version]: 100 } });
  return {
    fleet, router, target, publicUrl,
    async close() {
      await router.close(500);
      await fleet.close();
    },
  };
}
