// `npm run bench:deploy`: releases under steady load through the router, with real processes
// (ccr up, ccr deploy, ccr rollback) on a scratch clone, database and ports.
//   1. five times: a blue/green deploy of v2, then `ccr rollback` to v1 (warm, so one router
//      switch); the time from spawning `ccr rollback` until the router sends all traffic to v1
//      is measured by polling the router's state every 20 ms;
//   2. a bad canary (slot spins fail 20%) at 5% weight: the time from its first weighted
//      traffic until all traffic is back on stable;
//   3. kill -9 of the router under a canary of v2 at 25% (issue 16): the time until the
//      restarted router answers, and the requests of the load that failed (the release must
//      still be promoted). `--router-kill-only` runs just this one.
// Every request of the load is counted; a failed one is a 5xx from a good version or a
// connection error. The last line is one JSON object.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { AccEnv } from '../test/support/acceptance-env.js';
import { must, p95, say } from './bench-util.js';
import { startAppLoad } from '../test/support/app-load.js';
import { routerCrashRollout, runRouterCrash } from '../test/support/router-crash.js';

const ROUNDS = 5;

function rollout(webhook: string): string {
  return `
version: 1
defaultEnvironment: local
environments:
  local:
    target: { type: local, instances: 2 }
    databaseUrl: \${DATABASE_URL:-}
    strategy: blue-green
    blueGreen: { scaleDownDelay: 10m }
    canary:
      steps:
        - { weight: 5 }
        - { analysis: fast }
        - { weight: 100 }
    rolling: { readyTimeout: 30s }
    notifications:
      - { type: webhook, url: "${webhook}" }
analysis:
  fast:
    interval: 3s
    count: 3
    failureLimit: 0
    minRequests: 10
    lowTraffic: { action: wait, requests: 40 }
    metrics:
      - { name: error-rate, provider: builtin, check: error-rate, maxDelta: 0.02 }
plan:
  - phase: deployment
    steps:
      - { id: build-artifacts, kind: automated, type: artifact.build, title: Build }
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
      - { id: deploy-frontend, kind: automated, type: deploy.frontend, title: Frontend }
`;
}

async function main(): Promise<void> {
  say('preparing: scratch clone, artifacts v1 v2 v2-bad, ccr up');
  const only = process.argv.includes('--router-kill-only');
  const e = await AccEnv.create({ versions: only ? ['v1', 'v2'] : ['v1', 'v2', 'v2-bad'], rollout: () => rollout('http://127.0.0.1:9/none') });
  try {
    must(await e.ccr(['up', '--detach', '--release', 'v1', '--port', '0', '--json']), 'ccr up');
    const routerKill = async () => {
      writeFileSync(join(e.dir, 'rollout.yaml'), routerCrashRollout('6s'));
      const r = await runRouterCrash(e);
      must(r.deploy, 'canary deploy through the router kill');
      say(`router kill -9 at 25% canary: back in ${r.restartMs} ms with api ${JSON.stringify(r.weightsAfter.api)}; load ${r.stats.total} requests, ${r.stats.failed} failed${r.stats.failures.length ? `: ${r.stats.failures.slice(0, 4).join('; ')}` : ''}`);
      return { router_kill_failed_requests: r.stats.failed, router_restart_ms: r.restartMs, router_kill_requests: r.stats.total };
    };
    if (only) {
      process.stdout.write(`${JSON.stringify(await routerKill())}\n`);
      return;
    }
    const load = await startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl, clients: 4, expectedErrors: (v) => v === 'v2-bad' });
    const allOn = async (v: string) => {
      const s = await e.routerState();
      return Object.keys(s.api).join() === v && Object.keys(s.web).join() === v;
    };
    const rollbackMs: number[] = [];
    const switchMs: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      must(await e.ccr(['deploy', 'v2', '--strategy', 'blue-green', '--json']), `deploy #${i}`);
      const t0 = performance.now();
      const cmd = e.ccr(['rollback', '--json']);
      while (!(await allOn('v1'))) await sleep(20);
      rollbackMs.push(Math.round(performance.now() - t0));
      const r = await cmd;
      must(r, `rollback #${i}`);
      switchMs.push(Number(r.json!['switchMs']));
      say(`round ${i}: deploy ok; rollback: all traffic on v1 ${rollbackMs.at(-1)} ms after spawning ccr rollback (${switchMs.at(-1)} ms inside the command, warm: ${String(r.json!['warm'])})`);
    }
    const deploy = e.ccr(['deploy', 'v2-bad', '--strategy', 'canary', '--json']);
    let firstWeighted: number | null = null;
    let backOnStable: number | null = null;
    const deadline = performance.now() + 180_000;
    while (performance.now() < deadline) {
      const s = await e.routerState();
      if (firstWeighted === null && (s.api['v2-bad'] ?? 0) > 0) firstWeighted = performance.now();
      if (firstWeighted !== null && Object.keys(s.api).join() === 'v1') {
        backOnStable = performance.now();
        break;
      }
      await sleep(20);
    }
    const bad = await deploy;
    must(bad, 'bad canary deploy', 3);
    const stats = await load.stop();
    const badMs = firstWeighted !== null && backOnStable !== null ? Math.round(backOnStable - firstWeighted) : null;
    say(`bad canary: ${String(bad.json!['release'] && (bad.json!['release'] as { reason: string }).reason)}`);
    say(`load: ${stats.total} requests, ${stats.failed} failed${stats.failures.length ? `: ${stats.failures.slice(0, 3).join('; ')}` : ''}; by version ${JSON.stringify(stats.byVersion)}`);
    say(`rollback (spawn of ccr rollback -> all traffic on v1): p95 ${p95(rollbackMs)} ms [${rollbackMs.join(', ')}]  goal <= 1000 ms`);
    say(`rollback switch inside the command: p95 ${p95(switchMs)} ms [${switchMs.join(', ')}]`);
    say(`bad canary at 5%: first weighted request -> all traffic on stable ${badMs ?? 'n/a'} ms  goal <= 15000 ms`);
    const kill = await routerKill();
    process.stdout.write(`${JSON.stringify({ requests: stats.total, failed: stats.failed, rollback_ms_p95: p95(rollbackMs), rollback_switch_ms_p95: p95(switchMs), bad_canary_to_stable_ms: badMs, ...kill })}\n`);
  } finally {
    await e.close();
  }
}

await main();
