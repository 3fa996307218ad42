// npm run bench:router — the same autocannon load (50 connections) against one trivial
// upstream four ways: direct, through our router with each upstream client (its own
// HTTP/1.1 client and undici), through HAProxy. Each path runs in its own process; rounds
// alternate the order so drift on this 2-core machine hits all of them alike. The last
// line is one JSON object with the figures and the ratios.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, load, round, spawnReady, tsxArgs, type Child, type LoadResult } from './bench-support.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const haproxyBin = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

type Path = 'direct' | 'router' | 'undici' | 'haproxy';
const PATHS: Path[] = ['direct', 'router', 'undici', 'haproxy'];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-router-'));
  const children: Child[] = [];
  try {
    const [cmd, args] = tsxArgs(join(here, 'upstream-server.ts'), ['v1']);
    const upstream = await spawnReady(cmd, args, (l) => typeof l.ports === 'object');
    children.push(upstream);
    const upstreamPort = (upstream.line.ports as Record<string, number>).v1!;
    const router = await startRouter(dir, upstreamPort, 'own');
    children.push(router.child);
    const undici = await startRouter(dir, upstreamPort, 'undici');
    children.push(undici.child);
    const haproxy = await startHaproxy(dir, upstreamPort);
    children.push(haproxy.child);

    const urls: Record<Path, string> = {
      direct: `http://127.0.0.1:${upstreamPort}/`,
      router: `http://127.0.0.1:${router.port}/`,
      undici: `http://127.0.0.1:${undici.port}/`,
      haproxy: `http://127.0.0.1:${haproxy.port}/`,
    };
    // Warm-up: JIT for the router and the upstream, pools for both proxies.
    for (const p of PATHS) await load(urls[p], 3);

    // CPU time of the process doing the proxying (the upstream for direct) per request:
    // unlike req/s, it barely moves when other work shares this machine.
    const pids: Record<Path, number | undefined> = {
      direct: upstream.proc.pid,
      router: router.child.proc.pid,
      undici: undici.child.proc.pid,
      haproxy: haproxy.child.proc.pid,
    };
    const runs: Record<Path, LoadResult[]> = { direct: [], router: [], undici: [], haproxy: [] };
    const cpu: Record<Path, { s: number; n: number }> = { direct: { s: 0, n: 0 }, router: { s: 0, n: 0 }, undici: { s: 0, n: 0 }, haproxy: { s: 0, n: 0 } };
    for (let r = 0; r < rounds; r++) {
      // Each round swaps which router client goes first, and reverses the whole order.
      const order: Path[] = r % 2 === 0 ? ['direct', 'router', 'undici', 'haproxy'] : ['haproxy', 'undici', 'router', 'direct'];
      for (const p of order) {
        const before = cpuSeconds(pids[p]);
        const res = await load(urls[p], duration);
        cpu[p].s += cpuSeconds(pids[p]) - before;
        cpu[p].n += res.requests;
        runs[p].push(res);
        console.log(`round ${r + 1} ${p.padEnd(7)} ${String(res.rps).padStart(7)} req/s  p50 ${res.p50} ms  p99 ${res.p99} ms  non2xx ${res.non2xx} errors ${res.errors}`);
      }
    }
    const usPerReq = (p: Path) => round((cpu[p].s * 1e6) / Math.max(1, cpu[p].n), 1);
    const avg = (p: Path) => {
      const xs = runs[p];
      return {
        rps: Math.round(xs.reduce((s, x) => s + x.rps, 0) / xs.length),
        p99: round(xs.reduce((s, x) => s + x.p99, 0) / xs.length, 2),
        non2xx: xs.reduce((s, x) => s + x.non2xx + x.errors + x.timeouts, 0),
      };
    };
    const d = avg('direct');
    const rt = avg('router');
    const un = avg('undici');
    const hp = avg('haproxy');
    console.log('');
    console.log(`direct  ${d.rps} req/s  p99 ${d.p99} ms`);
    console.log(`router  ${rt.rps} req/s  p99 ${rt.p99} ms  (own client)`);
    console.log(`undici  ${un.rps} req/s  p99 ${un.p99} ms  (router on undici)`);
    console.log(`haproxy ${hp.rps} req/s  p99 ${hp.p99} ms`);
    console.log(
      `cpu per request: router ${usPerReq('router')} us, router on undici ${usPerReq('undici')} us, haproxy ${usPerReq('haproxy')} us, upstream (direct) ${usPerReq('direct')} us`,
    );
    console.log(`router/haproxy ${round(rt.rps / hp.rps)}  router/direct ${round(rt.rps / d.rps)}  p99 router-haproxy ${round(rt.p99 - hp.p99, 2)} ms`);
    console.log(`undici/own: throughput ${round(un.rps / rt.rps)}, cpu per request ${round(usPerReq('undici') / usPerReq('router'))}`);
    console.log(
      JSON.stringify({
        router_vs_haproxy: round(rt.rps / hp.rps),
        router_vs_direct: round(rt.rps / d.rps),
        p99_router_minus_haproxy_ms: round(rt.p99 - hp.p99, 2),
        direct_rps: d.rps,
        router_rps: rt.rps,
        router_undici_rps: un.rps,
        haproxy_rps: hp.rps,
        direct_p99_ms: d.p99,
        router_p99_ms: rt.p99,
        router_undici_p99_ms: un.p99,
        haproxy_p99_ms: hp.p99,
        failed: d.non2xx + rt.non2xx + un.non2xx + hp.non2xx,
        router_cpu_us_per_req: usPerReq('router'),
        router_undici_cpu_us_per_req: usPerReq('undici'),
        undici_vs_own_rps: round(un.rps / rt.rps),
        undici_vs_own_cpu_per_req: round(usPerReq('undici') / usPerReq('router')),
        haproxy_cpu_us_per_req: usPerReq('haproxy'),
        upstream_cpu_us_per_req_direct: usPerReq('direct'),
        connections: 50,
        duration_s: duration,
        rounds,
      }),
    );
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startRouter(dir: string, upstreamPort: number, client: 'own' | 'undici'): Promise<{ child: Child; port: number }> {
  const statePath = join(dir, `initial-state-${client}.json`);
  const url = `http://127.0.0.1:${upstreamPort}`;
  writeFileSync(
    statePath,
    JSON.stringify({
      services: {
        api: { targets: [{ id: 'api-v1', version: 'v1', url, weight: 100 }] },
        web: { targets: [{ id: 'web-v1', version: 'v1', url, weight: 100 }] },
      },
    }),
  );
  const [cmd, args] = tsxArgs(join(here, '../src/bin/router.ts'), [
    '--port', '0', '--host', '127.0.0.1', '--admin-port', '0',
    '--state-file', join(dir, `state-${client}.json`), '--initial-state', statePath, '--quiet',
    '--upstream-client', client,
  ]);
  const child = await spawnReady(cmd, args, (l) => l.msg === 'router listening', {
    ...process.env,
    NODE_ENV: 'production',
    CC_ROUTER_ADMIN_TOKEN: 'bench-admin-token',
  });
  return { child, port: child.line.port as number };
}

/**
 * HAProxy doing the same job as our router: keep-alive to the upstream, X-Forwarded-For
 * and -Proto, a generated X-Request-Id and an X-CC-Served-By response header.
 */
async function startHaproxy(dir: string, upstreamPort: number): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  option forwardfor
frontend fe
  bind 127.0.0.1:${port}
  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  unique-id-header X-Request-Id
  http-request set-header X-Forwarded-Proto http
  http-response set-header X-CC-Served-By v1
  default_backend be
backend be
  http-reuse always
  server s1 127.0.0.1:${upstreamPort}
`,
  );
  const child = await spawnReadyPort(haproxyBin, ['-db', '-f', cfg], port);
  return { child, port };
}

/** HAProxy prints nothing on start-up; poll its port instead of waiting for a line. */
async function spawnReadyPort(cmd: string, args: string[], port: number): Promise<Child> {
  const { spawn } = await import('node:child_process');
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`${cmd} exited with ${proc.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) return { proc, line: {}, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${cmd} did not answer on port ${port}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
