import http from 'node:http';

// Steady client load through the router: a few keep-alive clients in a loop, counting every
// response by status and by the version that served it (X-CC-Served-By). A request that gets
// no answer, or a 5xx the app did not mean, is a failed request.

export interface LoadStats {
  total: number;
  failed: number;
  byVersion: Record<string, number>;
  statuses: Record<string, number>;
  failures: string[];
}

export function startLoad(baseUrl: string, o: { clients?: number; paths?: string[]; expectedErrors?: (path: string, status: number) => boolean; pauseMs?: number } = {}): { stats: LoadStats; stop(): Promise<LoadStats> } {
  const stats: LoadStats = { total: 0, failed: 0, byVersion: {}, statuses: {}, failures: [] };
  const paths = o.paths ?? ['/version', '/api/games/slots/spin', '/'];
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients ?? 4 });
  const one = (path: string) =>
    new Promise<void>((resolve) => {
      const req = http.request(new URL(path, baseUrl), { agent, method: path.includes('/spin') ? 'POST' : 'GET', headers: { 'content-length': 0 } }, (res) => {
        res.resume();
        res.on('end', () => {
          stats.total++;
          const v = String(res.headers['x-cc-served-by'] ?? '?');
          stats.byVersion[v] = (stats.byVersion[v] ?? 0) + 1;
          stats.statuses[res.statusCode ?? 0] = (stats.statuses[res.statusCode ?? 0] ?? 0) + 1;
          if ((res.statusCode ?? 500) >= 500 && !o.expectedErrors?.(path, res.statusCode ?? 500)) {
            stats.failed++;
            if (stats.failures.length < 20) stats.failures.push(`${path} -> ${res.statusCode} (${v})`);
          }
          resolve();
        });
      });
      req.on('error', (err) => {
        stats.total++;
        stats.failed++;
        if (stats.failures.length < 20) stats.failures.push(`${path} -> ${err.message}`);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: o.clients ?? 4 }, async (_, k) => {
    let i = k;
    while (running) {
      await one(paths[i++ % paths.length]!);
      if (o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return stats;
    },
  };
}
