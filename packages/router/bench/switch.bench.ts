// npm run bench:switch — steady autocannon load (50 connections) through the router while
// the admin API switches all traffic between two upstream versions 20 times. Each switch
// removes the old target, so it drains. Goal: 0 failed requests. Last line is JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { RouterMetricsSnapshot, RouterStateDocument } from '@cc/contracts';
import { round, spawnReady, tsxArgs, type Child } from './bench-support.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const switches = Number(process.env.BENCH_SWITCHES ?? 20);
const duration = Number(process.env.BENCH_DURATION ?? 21);
const token = 'bench-admin-token';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-switch-'));
  const children: Child[] = [];
  try {
    const [cmd, args] = tsxArgs(join(here, 'upstream-server.ts'), ['v1', 'v2']);
    const upstream = await spawnReady(cmd, args, (l) => typeof l.ports === 'object');
    children.push(upstream);
    const ports = upstream.line.ports as Record<string, number>;
    const stateFor = (v: 'v1' | 'v2') => {
      const t = { id: `web-${v}`, version: v, url: `http://127.0.0.1:${ports[v]}`, weight: 100 };
      return { services: { api: { targets: [{ ...t, id: `api-${v}` }] }, web: { targets: [t] } } };
    };
    writeFileSync(join(dir, 'initial.json'), JSON.stringify(stateFor('v1')));
    const [rcmd, rargs] = tsxArgs(join(here, '../src/bin/router.ts'), [
      '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--quiet',
      '--state-file', join(dir, 'state.json'), '--initial-state', join(dir, 'initial.json'),
      '--drain-timeout-ms', '10000', '--health-interval-ms', '500',
    ]);
    const router = await spawnReady(rcmd, rargs, (l) => l.msg === 'router listening', {
      ...process.env,
      NODE_ENV: 'production',
      CC_ROUTER_ADMIN_TOKEN: token,
    });
    children.push(router);
    const base = `http://127.0.0.1:${router.line.port as number}`;
    const admin = `http://127.0.0.1:${router.line.adminPort as number}`;
    const auth = { authorization: `Bearer ${token}` };

    await autocannon({ url: `${base}/`, connections: 50, duration: 2 });
    const run = autocannon({ url: `${base}/`, connections: 50, duration });
    const every = (duration * 1000) / (switches + 1);
    let done = 0;
    for (let i = 0; i < switches; i++) {
      await new Promise((r) => setTimeout(r, every));
      const current = (await (await fetch(`${admin}/admin/state`, { headers: auth })).json()) as RouterStateDocument;
      const next = i % 2 === 0 ? 'v2' : 'v1';
      const res = await fetch(`${admin}/admin/state`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ expectedVersion: current.version, state: stateFor(next) }),
      });
      if (res.status !== 200) throw new Error(`switch ${i + 1} failed: ${res.status} ${await res.text()}`);
      done++;
      console.log(`switch ${done}: all traffic to ${next}`);
    }
    const r = await run;
    const metrics = (await (await fetch(`${admin}/admin/metrics.json`, { headers: auth })).json()) as RouterMetricsSnapshot;
    const failed = r.non2xx + r.errors + r.timeouts;
    for (const v of metrics.versions) {
      console.log(`${v.service} ${v.version}: ${v.total} requests, 5xx ${v.requests['5xx']}, upstream errors ${v.upstreamErrors}, p99 ${v.latencyMs.p99} ms`);
    }
    console.log(`requests ${r.requests.total}  failed ${failed} (non2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})  ${Math.round(r.requests.average)} req/s  p99 ${r.latency.p99} ms`);
    console.log(
      JSON.stringify({
        requests: r.requests.total,
        failed,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        switches: done,
        rps: Math.round(r.requests.average),
        p99_ms: r.latency.p99,
        duration_s: duration,
        served: Object.fromEntries(metrics.versions.filter((v) => v.service === 'web').map((v) => [v.version, v.total])),
        p99_router_ms: round(Math.max(...metrics.versions.map((v) => v.latencyMs.p99 ?? 0)), 2),
      }),
    );
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
