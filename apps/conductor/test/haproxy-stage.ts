import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyDataPlane } from '../src/targets/haproxy/data-plane.js';
import { startHaproxy, writeHaproxyFiles, type HaproxyProcess } from '../src/targets/haproxy/haproxy-process.js';
import type { HaproxyLayout } from '../src/targets/haproxy/layout.js';

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
  const dir = mkdtempSync(join(tmpdir(), 'cc-haproxy-'));
  const port = await freePort();
  const socket = join(dir, 'admin.sock');
  const cfg = writeHaproxyFiles(dir, { layout: LAYOUT, bind: { host: '127.0.0.1', port }, statsSocket: socket, health: o.health, pinToken: o.pinToken, threads: 1 });
  const proc = await startHaproxy(cfg, socket);
  const onExit = () => proc.child.kill('SIGKILL');
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
