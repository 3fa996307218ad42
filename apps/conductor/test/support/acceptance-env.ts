import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { scratchDatabase } from './scratch-db.js';
import { tempDir } from '../../../../scripts/lib/temp-dir.js';

// End-to-end harness: a scratch clone of this repository with release tags, artifacts built
// once per checkout commit (cached across test files), a scratch app database and store, a
// test rollout.yaml, and `ccr` run as real processes with CCR_HOME/CCR_CONFIG pointing into a
// temp folder and port 0, so nothing touches the developer's .cc/ or port 8080.

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
export const CCR_BIN = join(REPO, 'apps/conductor/bin/ccr.mjs');

const GIT_ENV = { GIT_AUTHOR_NAME: 'ccr-test', GIT_AUTHOR_EMAIL: 'ccr@test', GIT_COMMITTER_NAME: 'ccr-test', GIT_COMMITTER_EMAIL: 'ccr@test', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' };

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, env: { ...process.env, ...GIT_ENV } })).stdout.trim();
}

function patch(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`patch: ${from} not found in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

/**
 * Clones the repository and tags: v1 (HEAD), v2 (a trivial change), v2-bad (slot spins answer
 * 500 for 20% of requests) and v2-never (never ready). Commits are deterministic, so every
 * clone of the same HEAD has the same commits and the artifact cache stays valid.
 */
export async function scratchRepo(dir: string): Promise<string> {
  const repo = join(dir, 'repo');
  await run('git', ['clone', '-q', REPO, repo]);
  await git(repo, 'tag', 'v1');
  const commit = async (tag: string, msg: string, edit: () => void) => {
    await git(repo, 'checkout', '-q', 'v1');
    edit();
    await git(repo, 'commit', '-qam', msg);
    await git(repo, 'tag', tag);
  };
  await commit('v2', 'v2: a trivial change', () => writeFileSync(join(repo, 'apps/api/src/bin/start-api.ts'), `${readFileSync(join(repo, 'apps/api/src/bin/start-api.ts'), 'utf8')}// v2\n`));
  await commit('v2-bad', 'v2-bad: slot spins fail 20% of the time', () =>
    patch(join(repo, 'apps/api/src/modules/games/slots.ts'), "app.post('/slots/spin', { preHandler: auth }, async (req, reply) => {",
      "app.post('/slots/spin', { preHandler: auth }, async (req, reply) => {\n    if (Math.random() < 0.2) return reply.code(500).send({ error: { code: 'internal', message: 'injected failure', requestId: req.id } });"));
  await commit('v2-never', 'v2-never: never ready', () =>
    patch(join(repo, 'apps/api/src/modules/ops/routes.ts'), "app.get('/health/ready', ready);", "app.get('/health/ready', async (_req, reply) => reply.code(503).send({ status: 'never ready' }));"));
  await git(repo, 'checkout', '-q', 'v1');
  return repo;
}

/** Builds the tags once per checkout commit into a shared cache, then copies them into `home`. */
export async function provideArtifacts(repo: string, home: string, versions: string[]): Promise<void> {
  const head = (await git(REPO, 'rev-parse', 'HEAD')).slice(0, 12);
  const cache = join(process.env['CC_TEST_CACHE'] ?? tmpdir(), `ccr-acceptance-${head}`);
  for (const v of versions) {
    if (!existsSync(join(cache, 'artifacts', v, 'manifest.json'))) {
      await run(process.execPath, [CCR_BIN, 'build', v, '--json'], { env: { ...process.env, CCR_HOME: cache, CCR_PROJECT_ROOT: repo }, maxBuffer: 1 << 24 });
    }
    mkdirSync(join(home, 'artifacts'), { recursive: true });
    cpSync(join(cache, 'artifacts', v), join(home, 'artifacts', v), { recursive: true });
  }
}

export interface Webhook {
  url: string;
  received: Array<{ text?: string; [k: string]: unknown }>;
  close(): Promise<void>;
}

export async function webhookListener(): Promise<Webhook> {
  const received: Webhook['received'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body) as Webhook['received'][number]);
      } catch {
        received.push({ text: body });
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

export interface CcrResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | null;
}

export class AccEnv {
  private constructor(
    readonly dir: string,
    readonly repo: string,
    readonly home: string,
    readonly env: NodeJS.ProcessEnv,
    readonly appDbUrl: string,
    private readonly dbs: Array<{ drop(): Promise<void> }>,
  ) {}

  static async create(o: { rollout: (vars: { webhook: string }) => string; webhook?: string; versions: string[] }): Promise<AccEnv> {
    const dir = tempDir('ccr-acc-');
    const repo = await scratchRepo(dir);
    const home = join(dir, 'cc');
    await provideArtifacts(repo, home, o.versions);
    const app = await scratchDatabase('ccr_app');
    const store = await scratchDatabase('ccr_store');
    writeFileSync(join(dir, 'rollout.yaml'), o.rollout({ webhook: o.webhook ?? 'http://127.0.0.1:9/none' }));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'], HOME: process.env['HOME'],
      // The runner's run id and temp folder: it reaps daemons a killed test left (scripts/test.mjs).
      CC_TEST_RUN: process.env['CC_TEST_RUN'], TMPDIR: process.env['TMPDIR'],
      CCR_PROJECT_ROOT: repo, CCR_HOME: home, CCR_CONFIG: join(dir, 'rollout.yaml'),
      DATABASE_URL: app.url, CCR_DATABASE_URL: store.url, CCR_ACTOR: 'acceptance@test', CCR_PORT: '0',
    };
    return new AccEnv(dir, repo, home, env, app.url, [app, store]);
  }

  spawn(args: string[]): ChildProcess {
    return spawn(process.execPath, [CCR_BIN, ...args], { env: this.env, cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  ccr(args: string[], timeoutMs = 240_000): Promise<CcrResult> {
    return new Promise((resolve) => {
      const child = this.spawn(args);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        let json: Record<string, unknown> | null = null;
        try {
          json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
        } catch {
          json = null;
        }
        resolve({ code, signal, stdout, stderr, json });
      });
    });
  }

  runtime(): { port: number; adminPort: number } {
    const rt = JSON.parse(readFileSync(join(this.home, 'runtime', 'runtime.json'), 'utf8')) as { router: { port: number; adminPort: number } };
    return rt.router;
  }

  publicUrl(): string {
    return `http://127.0.0.1:${this.runtime().port}`;
  }

  async routerState(): Promise<{ api: Record<string, number>; web: Record<string, number>; maintenance: boolean }> {
    const token = readFileSync(join(this.home, 'secrets', 'router-admin-token'), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${this.runtime().adminPort}/admin/state`, { headers: { authorization: `Bearer ${token}` } });
    const doc = (await res.json()) as { state: { services: Record<'api' | 'web', { targets: Array<{ version: string; weight: number }> }>; maintenance: { enabled: boolean } } };
    const split = (s: 'api' | 'web') => {
      const out: Record<string, number> = {};
      for (const t of doc.state.services[s].targets) if (t.weight > 0) out[t.version] = (out[t.version] ?? 0) + t.weight;
      return out;
    };
    return { api: split('api'), web: split('web'), maintenance: doc.state.maintenance.enabled };
  }

  async store<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: this.env['CCR_DATABASE_URL'] });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  async close(): Promise<void> {
    try {
      await this.ccr(['down'], 120_000);
      for (const db of this.dbs) await db.drop().catch(() => undefined);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
