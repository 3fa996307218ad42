import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../src/errors.js';
import type { InstanceController, InstanceInfo, StartOptions } from '../src/supervisor/types.js';
import { HaproxyDataPlane } from '../src/targets/haproxy/data-plane.js';
import { signalGroup } from '../src/command/index.js';
import { startHaproxy, writeHaproxyFiles, type HaproxyProcess } from '../src/targets/haproxy/haproxy-process.js';
import { HaproxyTarget } from '../src/targets/haproxy/haproxy-target.js';
import type { HaproxyLayout } from '../src/targets/haproxy/layout.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// A real Debian haproxy in the foreground (-db) on a free loopback port, with its stats
// socket and runtime files in a temp dir; always killed by stop() (and on process exit).

export const LAYOUT: HaproxyLayout = { backends: { api: 'cc_api', web: 'cc_web' }, slots: 4 };

export interface LiveHaproxy {
  proc: HaproxyProcess;
  plane: HaproxyDataPlane;
  baseUrl: string;
  dir: string;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startLiveHaproxy(o: { pinToken: string; health: { intervalMs: number; timeoutMs: number; rise: number; fall: number }; drainTimeoutMs?: number }): Promise<LiveHaproxy> {
  const dir = tempDir('cc-haproxy-');
  const socket = join(dir, 'admin.sock');
  // A freed port can be taken again before haproxy binds it: try another one then.
  let proc: HaproxyProcess | undefined;
  let port = 0;
  for (let attempt = 1; !proc; attempt++) {
    port = await freePort();
    const cfg = writeHaproxyFiles(dir, { layout: LAYOUT, bind: { host: '127.0.0.1', port }, statsSocket: socket, health: o.health, pinToken: o.pinToken, threads: 1 });
    try {
      proc = await startHaproxy(cfg, socket);
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const onExit = () => signalGroup(proc.process.pid, 'SIGKILL');
  process.once('exit', onExit);
  return {
    proc,
    dir,
    plane: new HaproxyDataPlane(proc.runtime, LAYOUT, { drainTimeoutMs: o.drainTimeoutMs ?? 10_000 }),
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      process.off('exit', onExit);
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- hosts: one small fleet per loopback address, standing in for each host's supervisor ----

export interface VersionBehaviour {
  errorRate?: number;
  neverReady?: boolean;
}

/** Behaves like a host's supervisor (start resolves once ready), with tiny HTTP "instances" bound to the host's address. */
export class HostFleet implements InstanceController {
  private readonly servers = new Map<string, { info: InstanceInfo; server: http.Server }>();
  private seq = 0;
  /** start:<version> / stop:<version>, shared by every host of a stage. */
  constructor(
    readonly address: string,
    private readonly behaviour: Map<string, VersionBehaviour>,
    private readonly log: string[],
  ) {}

  async start(version: string, count: number, opts: StartOptions = {}): Promise<InstanceInfo[]> {
    const b = this.behaviour.get(version) ?? {};
    const out: InstanceInfo[] = [];
    for (let i = 0; i < count; i++) out.push(await this.spawn(version, b));
    if (b.neverReady) {
      await sleep(Math.min(opts.readyTimeoutMs ?? 1000, 1500));
      for (const i of out) await this.stop(i.id);
      throw new CcrError('instance_not_ready', `instance(s) of ${version} did not become ready`);
    }
    for (const i of out) i.state = 'ready';
    return out.map((i) => ({ ...i }));
  }

  async list(): Promise<InstanceInfo[]> {
    return [...this.servers.values()].map((s) => ({ ...s.info }));
  }

  async stop(id: string): Promise<void> {
    const s = this.servers.get(id);
    if (!s) throw new CcrError('not_found', `no instance ${id}`);
    this.servers.delete(id);
    this.log.push(`stop:${s.info.version}`);
    await new Promise<void>((r) => {
      s.server.close(() => r());
      s.server.closeIdleConnections();
    });
  }

  async stopVersion(version: string): Promise<InstanceInfo[]> {
    const victims = [...this.servers.values()].filter((s) => s.info.version === version).map((s) => ({ ...s.info }));
    for (const v of victims) await this.stop(v.id);
    return victims;
  }

  async close(): Promise<void> {
    for (const id of [...this.servers.keys()]) await this.stop(id);
  }

  private async spawn(version: string, b: VersionBehaviour): Promise<InstanceInfo> {
    const id = `${version}-${++this.seq}`;
    const server = http.createServer((req, res) => {
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      const url = req.url ?? '/';
      if (url.startsWith('/health')) return send(b.neverReady ? 503 : 200, 'application/json', '{"status":"ok"}');
      if (url === '/version') return send(200, 'application/json', JSON.stringify({ version, host: this.address }));
      if (url.startsWith('/api/games/slots/spin') && Math.random() < (b.errorRate ?? 0)) return send(500, 'application/json', '{"error":{"code":"internal"}}');
      if (url.startsWith('/api/')) return send(200, 'application/json', JSON.stringify({ ok: true, version }));
      return send(200, 'text/html', `<!doctype html><meta name="cc-version" content="${version}">`);
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((r) => server.listen(0, this.address, () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const info: InstanceInfo = { id, version, port, metricsPort: null, url: `http://${this.address}:${port}`, pid: process.pid, state: 'starting', restarts: 0, startedAt: new Date().toISOString(), lastExit: null, logFile: '/dev/null' };
    this.servers.set(id, { info, server });
    this.log.push(`start:${version}`);
    return info;
  }
}

export interface HaproxyStage {
  live: LiveHaproxy;
  target: HaproxyTarget;
  publicUrl: string;
  behaviour: Map<string, VersionBehaviour>;
  /** start:/stop: events across hosts, in order. */
  log: string[];
  fleets: HostFleet[];
  close(): Promise<void>;
}

export const HOSTS = [
  { name: 'h1', address: '127.0.0.2' },
  { name: 'h2', address: '127.0.0.3' },
];

/** HAProxy in front of two "hosts" with `version` on `instances` instances and all traffic on it. */
export async function haproxyStage(version: string, instances = 2): Promise<HaproxyStage> {
  const pinToken = 'pin-token-for-haproxy-tests';
  const live = await startLiveHaproxy({ pinToken, health: { intervalMs: 200, timeoutMs: 2000, rise: 2, fall: 3 }, drainTimeoutMs: 2000 });
  const behaviour = new Map<string, VersionBehaviour>();
  const log: string[] = [];
  const fleets = HOSTS.map((h) => new HostFleet(h.address, behaviour, log));
  const target = new HaproxyTarget({ plane: live.plane, publicUrl: live.baseUrl, pinToken, hosts: HOSTS.map((h, i) => ({ ...h, controller: fleets[i]! })) });
  try {
    await target.start(version, instances);
    await target.route({ api: { [version]: 100 }, web: { [version]: 100 } });
  } catch (err) {
    await live.stop();
    throw err;
  }
  return {
    live, target, publicUrl: live.baseUrl, behaviour, log, fleets,
    async close() {
      await live.stop();
      for (const f of fleets) await f.close();
    },
  };
}
