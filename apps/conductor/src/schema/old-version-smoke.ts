import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Artifact } from '../artifacts/store.js';
import { lastLines, launch, type LaunchedProcess } from '../command/index.js';
import { instanceEnv } from '../runtime/instance-env.js';
import { runSmokeSuite, smokeInviteFromCli, summarizeSmoke } from '../smoke/index.js';
import type { OldVersionSmoke } from './rehearse.js';

// The expand/contract check of a rehearsal: the OLD version's own artifact is started against
// the migrated scratch database (no router, no Redis or Kafka: they are optional) and the
// built-in smoke suite runs against it directly.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitLive(url: string, exited: () => string | null, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone !== null) throw new Error(`the old version exited before it was live: ${gone}`);
    const ok = await fetch(`${url}/health/live`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > until) throw new Error(`the old version was not live within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function artifactSmoke(artifact: Artifact): (scratchUrl: string) => Promise<OldVersionSmoke> {
  return async (scratchUrl) => {
    const port = await freePort();
    const env = instanceEnv({ databaseUrl: scratchUrl, jwtSecret: randomBytes(32).toString('hex'), appEnv: 'development', parentEnv: { PATH: process.env['PATH'] } }, artifact, port);
    let server: LaunchedProcess | null = null;
    const base = `http://127.0.0.1:${port}`;
    try {
      server = launch({ argv: [process.execPath, join(artifact.dir, artifact.manifest.entrypoints.server)], cwd: artifact.dir, env, inheritEnv: false }, { output: 'capture' });
      const proc = server;
      const exited = () => {
        const s = proc.exitStatus();
        return s === null ? null : `exit ${s.code ?? s.signal}: ${lastLines(proc.output(), 1)}`;
      };
      await waitLive(base, exited, 30_000);
      const report = await runSmokeSuite({ baseUrl: base, headers: {}, expectVersion: artifact.version, inviteCode: smokeInviteFromCli({ artifactDir: artifact.dir }, scratchUrl) });
      return { ok: report.ok, version: artifact.version, failed: report.checks.filter((c) => !c.ok).map((c) => c.name), detail: summarizeSmoke(report) };
    } catch (err) {
      return { ok: false, version: artifact.version, failed: ['start'], detail: (err as Error).message };
    } finally {
      await server?.stop(10_000);
    }
  };
}
