import { execFile } from 'node:child_process';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadStats } from './load.js';

// Steady load of real players through the router: each client signs up with an invite from
// the admin CLI, then loops over reading the version and the game catalog, spinning the slots
// (authenticated, with an Idempotency-Key) and loading the page. Any 5xx or connection error
// counts as failed, unless the test says that status is what a bad version is expected to do.

const run = promisify(execFile);

export async function startAppLoad(baseUrl: string, o: { artifactDir: string; databaseUrl: string; clients?: number; expectedErrors?: (version: string) => boolean }): Promise<{ stats: LoadStats; stop(): Promise<LoadStats> }> {
  const clients = o.clients ?? 4;
  const { stdout } = await run(process.execPath, [join(o.artifactDir, 'api/admin.mjs'), 'create-invites', '--count', String(clients), '--json'], { env: { PATH: process.env['PATH'], DATABASE_URL: o.databaseUrl, LOG_LEVEL: 'warn' } });
  const codes = (JSON.parse(stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'))!) as { codes: string[] }).codes;
  const stats: LoadStats = { total: 0, failed: 0, byVersion: {}, statuses: {}, failures: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients * 2 });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; version: string; json: Record<string, unknown> | null }>((resolve) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(new URL(path, baseUrl), { agent, method, headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const version = String(res.headers['x-cc-served-by'] ?? '?');
          stats.total++;
          stats.byVersion[version] = (stats.byVersion[version] ?? 0) + 1;
          stats.statuses[res.statusCode ?? 0] = (stats.statuses[res.statusCode ?? 0] ?? 0) + 1;
          if ((res.statusCode ?? 500) >= 500 && !o.expectedErrors?.(version)) {
            stats.failed++;
            if (stats.failures.length < 20) stats.failures.push(`${method} ${path} -> ${res.statusCode} (${version}) ${text.slice(0, 120)}`);
          }
          let json: Record<string, unknown> | null = null;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, version, json });
        });
      });
      // A request into a vanished peer must fail, not hang the test.
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (err) => {
        stats.total++;
        stats.failed++;
        if (stats.failures.length < 20) stats.failures.push(`${method} ${path} -> ${err.message}`);
        resolve({ status: 0, version: '?', json: null });
      });
      req.end(data);
    });
  const tokens: string[] = [];
  for (const code of codes) {
    const r = await call('POST', '/api/auth/signup', { inviteCode: code, nickname: `load_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('base64url') });
    if (r.status !== 201) throw new Error(`load signup failed: ${r.status} ${JSON.stringify(r.json)}`);
    tokens.push(String(r.json!['accessToken']));
  }
  let running = true;
  const loops = tokens.map(async (token) => {
    const auth = { authorization: `Bearer ${token}` };
    const round = [
      () => call('GET', '/version'),
      () => call('POST', '/api/games/slots/spin', { bet: 1 }, { ...auth, 'idempotency-key': randomUUID() }),
      () => call('GET', '/api/games'),
      () => call('POST', '/api/games/slots/spin', { bet: 1 }, { ...auth, 'idempotency-key': randomUUID() }),
      () => call('GET', '/'),
    ];
    // stop() means no new request from that moment (the image test models endpoint removal with it).
    for (let i = 0; running; i++) await round[i % round.length]!();
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
