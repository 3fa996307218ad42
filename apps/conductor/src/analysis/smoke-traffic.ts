import type { PinnedRoute } from '../engine/deploy-target.js';

// Low-traffic analysis (the Flagger complaint): instead of passing a canary that real users
// barely reached, send it pinned requests of our own and judge those. The mix touches the
// app's read paths and public game data, a few at a time so a small instance is not swamped.

const PATHS = ['/version', '/health/ready', '/api/games', '/api/leaderboard', '/health/live'];

export async function sendSmokeTraffic(route: PinnedRoute, requests: number, concurrency = 4): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const path = PATHS[next++ % PATHS.length]!;
      try {
        const res = await fetch(new URL(path, route.baseUrl), { headers: route.headers, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status >= 500) failed++;
      } catch {
        failed++;
      }
      sent++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, failed };
}
