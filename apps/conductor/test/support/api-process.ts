import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchDatabase } from './scratch-db.js';
import { tempDir } from '../../../../scripts/lib/temp-dir.js';

// The API as the conductor meets it: a separate process started from apps/api's own entry
// points (migrate, start-api), on a scratch database, on an ephemeral port. No API code is
// imported (DESIGN §2).

export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const run = promisify(execFile);

export interface ApiProcess {
  url: string;
  databaseUrl: string;
  version: string;
  stop(): Promise<void>;
}

export async function startApiProcess(o: { version: string; webVersion?: string }): Promise<ApiProcess> {
  const db = await scratchDatabase('cc_smoke');
  const base = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/', DATABASE_URL: db.url };
  await run(process.execPath, ['--import', 'tsx', 'apps/api/src/bin/migrate.ts', 'up'], { cwd: REPO_ROOT, env: base });
  const web = tempDir('cc-smoke-web-');
  writeFileSync(join(web, 'index.html'), `<!doctype html><html><head>\n<meta charset="utf-8" />\n<meta name="cc-version" content="${o.webVersion ?? o.version}" />\n<title>CC</title></head><body><div id="root"></div></body></html>\n`);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/bin/start-api.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, PORT: '0', JWT_SECRET: 'smoke-test-secret-0123456789abcdef-0123456789', APP_VERSION: o.version, WEB_DIST: web, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`API did not start within 30 s:\n${log.slice(-2000)}`)), 30_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*cc-api listening/.exec(log) ?? /cc-api listening[^\n]*"url":"(http:\/\/[^"]+)"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`API exited ${code} before listening:\n${log.slice(-2000)}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url,
    databaseUrl: db.url,
    version: o.version,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      await db.drop();
    },
  };
}
