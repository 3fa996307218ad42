import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { RuntimeStatus } from '../src/runtime/status.js';
import type { RuntimeRecord } from '../src/runtime/runtime-state.js';
import { isAlive, terminate } from '../src/supervisor/process-control.js';
import { ccr, createTestDatabase, scratchRepo, sharedArtifact, tempDir, type TestDatabase } from './artifacts-fixture.js';

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('ccr up --detach / status / down', () => {
  let root: string;
  let repo: string;
  let home: string;
  let db: TestDatabase;
  let version: string;
  let env: NodeJS.ProcessEnv;
  let record: RuntimeRecord | null = null;

  before(async () => {
    root = tempDir('ccr-up-');
    repo = scratchRepo(root);
    const built = await sharedArtifact(repo);
    version = built.version;
    home = join(root, 'home');
    // The artifact is already built (shared with the other test files): `up` runs it as the
    // active release instead of building HEAD again.
    cpSync(built.dir, join(home, 'artifacts', version), { recursive: true });
    mkdirSync(join(home, 'runtime'), { recursive: true });
    writeFileSync(join(home, 'runtime/active-version'), `${version}\n`);
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  });

  after(async () => {
    // Whatever a failed assertion left running.
    if (record) for (const pid of [record.pid, record.router?.pid]) if (pid && isAlive(pid)) await terminate(pid, 5000);
    await ccr(['down'], { repo, home, env });
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('up --detach serves the release through the router, status reports it, down stops everything', async () => {
    // no hosted controller: with DATABASE_URL on the shared server, its store would be the shared `ccr` database
    const up = await ccr(['up', '--detach', '--no-controller', '--port', '0', '--instances', '2', '--json'], { repo, home, env });
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const status = JSON.parse(up.stdout) as RuntimeStatus;
    record = JSON.parse(readFileSync(join(home, 'runtime/runtime.json'), 'utf8')) as RuntimeRecord;
    assert.equal(status.running, true);
    assert.equal(status.activeVersion, version);
    assert.equal(status.database?.mode, 'external');

    const res = await fetch(`${status.urls!.app}/version`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-cc-served-by'), version);
    assert.equal(((await res.json()) as { version: string }).version, version);

    const st = await ccr(['status', '--json'], { repo, home, env });
    assert.equal(st.code, 0, st.stderr);
    const s = JSON.parse(st.stdout) as RuntimeStatus;
    assert.equal(s.environment, 'local');
    assert.equal(s.phase, 'ready');
    assert.deepEqual(s.versions.map((v) => [v.version, v.instances.length, v.instances.every((i) => i.healthy && i.state === 'ready')]), [[version, 2, true]]);
    assert.deepEqual(s.router?.services.api.weights, { [version]: 100 });
    assert.deepEqual(s.router?.services.web.weights, { [version]: 100 });
    assert.equal(s.router?.maintenance.enabled, false);
    assert.equal(statSync(join(home, 'secrets/jwt-secret')).mode & 0o777, 0o600);

    // kill -9 of the router: the runtime starts it again on the same ports, with the same
    // weights, and a request made while it is down waits for it instead of being refused.
    process.kill(s.router!.pid, 'SIGKILL');
    // (on a new connection: the ones the dead router had accepted died with it)
    assert.equal(await freshGet(`${status.urls!.app}/version`), 200);
    const back = await until('the restarted router', async () => {
      const r = await ccr(['status', '--json'], { repo, home, env });
      const t = JSON.parse(r.stdout) as RuntimeStatus;
      return t.router?.up && t.router.pid !== s.router!.pid ? t : null;
    });
    assert.equal(back.router!.restarts, 1);
    assert.equal(back.router!.lastExit?.signal, 'SIGKILL');
    assert.deepEqual([back.router!.port, back.router!.adminPort], [s.router!.port, s.router!.adminPort]);
    assert.deepEqual(back.router!.services.api.weights, { [version]: 100 });
    assert.equal(back.router!.stateVersion, s.router!.stateVersion, 'the state is the persisted one, not rebuilt');

    // `ccr up` on the live runtime is not an error: it says nothing is down and shows it.
    const again = await ccr(['up', '--detach', '--port', '0', '--json'], { repo, home, env });
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    const a = JSON.parse(again.stdout) as RuntimeStatus & { alreadyRunning: boolean; down: string[]; repaired: string[] };
    assert.deepEqual([a.alreadyRunning, a.down, a.repaired, a.pid], [true, [], [], s.pid]);

    const pids = [s.pid!, back.router!.pid, s.router!.pid, ...s.versions[0]!.instances.map((i) => i.pid!)];
    const ports = [s.router!.port, s.router!.adminPort, ...s.versions[0]!.instances.map((i) => i.port)];
    const down = await ccr(['down', '--json'], { repo, home, env });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(JSON.parse(down.stdout), { runtime: 'stopped', reaped: [] });
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is still alive after down`);
    for (const port of ports) assert.equal(await listening(port), false, `port ${port} still listens after down`);
    assert.equal(existsSync(join(home, 'runtime/runtime.json')), false);

    const after = await ccr(['status', '--json'], { repo, home, env });
    assert.equal((JSON.parse(after.stdout) as RuntimeStatus).running, false);
  });
});
