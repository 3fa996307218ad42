import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AccEnv } from './acceptance-env.js';
import { startAppLoad } from './app-load.js';
import type { LoadStats } from './load.js';

// Issue 16's scenario, shared by its test and `bench:deploy`: v1 runs under steady load, a
// canary of v2 reaches 25% and pauses, the router gets kill -9, and the release goes on. The
// runtime must restart the router with its weights; the figures are what the load saw.

export function routerCrashRollout(pause = '12s'): string {
  return `
version: 1
defaultEnvironment: local
environments:
  local:
    target: { type: local, instances: 2, adminWaitTimeout: 30s }
    databaseUrl: \${DATABASE_URL:-}
    strategy: canary
    canary:
      steps:
        - { weight: 25 }
        - { pause: ${pause} }
        - { analysis: quick }
        - { weight: 100 }
analysis:
  quick:
    interval: 2s
    count: 2
    failureLimit: 0
    minRequests: 10
    lowTraffic: { action: wait, requests: 20 }
    metrics:
      - { name: error-rate, provider: builtin, check: error-rate, maxDelta: 0.05 }
plan:
  - phase: deployment
    steps:
      - { id: build-artifacts, kind: automated, type: artifact.build, title: Build }
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
`;
}

export interface RouterCrashResult {
  deploy: { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | null };
  stats: LoadStats;
  /** From the kill until the new router answered its admin API. */
  restartMs: number;
  killedPid: number;
  newPid: number;
  /** The router's weights (raw units) right after it came back. */
  weightsAfter: { api: Record<string, number>; web: Record<string, number> };
  /** Requests of the load that failed between the kill and the router's return (+1 s). */
  failedAroundKill: number;
}

const routerPid = (e: AccEnv) => (JSON.parse(readFileSync(join(e.home, 'runtime', 'runtime.json'), 'utf8')) as { router: { pid: number } }).router.pid;

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch((err: Error) => {
      if (err.message.startsWith('the deploy ended')) throw err;
      return null;
    });
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs the scenario on a runtime that is up on v1 (`ccr up --detach --release v1`). */
export async function runRouterCrash(e: AccEnv): Promise<RouterCrashResult> {
  const load = await startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl, clients: 4 });
  try {
    const deploy = e.ccr(['deploy', 'v2', '--strategy', 'canary', '--json']);
    let ended: Awaited<typeof deploy> | null = null;
    void deploy.then((r) => (ended = r));
    await until('the canary at 25%', async () => {
      if (ended) throw new Error(`the deploy ended before its canary reached 25%: ${ended.stderr}\n${ended.stdout}`);
      return (await e.routerState()).api['v2'] === 2500 ? true : null;
    }, 180_000, 50);
    await sleep(500);
    const killedPid = routerPid(e);
    const failedBefore = load.stats.failed;
    const t0 = performance.now();
    process.kill(killedPid, 'SIGKILL');
    const weightsAfter = await until('the restarted router', async () => (routerPid(e) !== killedPid ? await e.routerState() : null), 60_000, 10);
    const restartMs = Math.round(performance.now() - t0);
    const newPid = routerPid(e);
    await sleep(1000);
    const failedAroundKill = load.stats.failed - failedBefore;
    const result = await deploy;
    return { deploy: result, stats: await load.stop(), restartMs, killedPid, newPid, weightsAfter: { api: weightsAfter.api, web: weightsAfter.web }, failedAroundKill };
  } catch (err) {
    await load.stop();
    throw err;
  }
}
