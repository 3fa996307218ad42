import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../../scripts/lib/temp-dir.js';

// A real Prometheus (the Debian package) for tests: its own config and TSDB in a temp folder,
// a free loopback port, a 1 s scrape interval. And small HTTP servers whose /metrics the test
// controls, so Prometheus scrapes real instances.

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ScrapeJob {
  job: string;
  targets: string[];
  /** Bearer token for the scrape (the router's admin /metrics). */
  bearer?: string;
}

export interface TestPrometheus {
  url: string;
  close(): Promise<void>;
  /** Waits until `query` returns at least one series (e.g. two scrapes of a counter happened). */
  waitFor(query: string, timeoutMs?: number): Promise<void>;
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<TestPrometheus> {
  const dir = tempDir('cc-prometheus-');
  const configs = jobs.map((j, i) => {
    const auth = j.bearer ? (writeFileSync(join(dir, `token-${i}`), j.bearer), `\n    authorization: { type: Bearer, credentials_file: ${join(dir, `token-${i}`)} }`) : '';
    return `  - job_name: ${j.job}\n    scrape_interval: 1s\n    scrape_timeout: 900ms${auth}\n    static_configs:\n      - targets: [${j.targets.map((t) => `'${t}'`).join(', ')}]`;
  });
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${configs.join('\n')}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s: ${log}`);
    await sleep(200);
  }
  return {
    url,
    async waitFor(query, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data?: { result: unknown[] } };
        if ((r.data?.result.length ?? 0) > 0) return;
        if (Date.now() > end) throw new Error(`no data for ${query} after ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    async close() {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An instance exposing request counters per version and status that the test drives. */
export class CounterServer {
  readonly counts = new Map<string, number>();
  private server: http.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  address = '';

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const lines = ['# HELP app_requests_total Requests by version and code', '# TYPE app_requests_total counter'];
      for (const [k, v] of this.counts) {
        const [version, code] = k.split('|');
        lines.push(`app_requests_total{version="${version}",code="${code}"} ${v}`);
      }
      const body = `${lines.join('\n')}\n`;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(version: string, code: number, n: number): void {
    const k = `${version}|${code}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }

  /** Every 100 ms: `perTick` requests per version, `errorShare` of them 500s. */
  traffic(versions: Record<string, { perTick: number; errorShare: number }>): void {
    this.timer = setInterval(() => {
      for (const [v, t] of Object.entries(versions)) {
        const errors = Math.round(t.perTick * t.errorShare);
        this.add(v, 500, errors);
        this.add(v, 200, t.perTick - errors);
      }
    }, 100);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
