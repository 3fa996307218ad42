import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadArtifact, type Artifact } from '../src/artifacts/store.js';
import { instanceEnv } from '../src/runtime/instance-env.js';
import { migrateUp } from '../src/runtime/migrate.js';
import { isAlive } from '../src/supervisor/process-control.js';
import { loadSupervisorState } from '../src/supervisor/state-file.js';
import { Supervisor, type SupervisorOptions } from '../src/supervisor/supervisor.js';
import type { InstanceInfo } from '../src/supervisor/types.js';
import { createTestDatabase, scratchRepo, sharedArtifact, tempDir, type TestDatabase } from './artifacts-fixture.js';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined> | T | null | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function version(url: string): Promise<string> {
  return ((await (await fetch(`${url}/version`)).json()) as { version: string }).version;
}

describe('supervisor', () => {
  let root: string;
  let db: TestDatabase;
  let artifact: Artifact;
  let opts: SupervisorOptions;
  let first: Supervisor;
  let second: Supervisor | null = null;
  let started: InstanceInfo[] = [];

  before(async () => {
    root = tempDir('ccr-supervisor-');
    const built = await sharedArtifact(scratchRepo(root));
    artifact = loadArtifact(join(built.dir, '..'), built.version);
    db = await createTestDatabase();
    await migrateUp(artifact, db.url);
    opts = {
      stateFile: join(root, 'runtime/supervisor.json'),
      logsDir: join(root, 'logs'),
      artifactsDir: join(built.dir, '..'),
      envFor: (a, port) => instanceEnv({ databaseUrl: db.url, jwtSecret: 'j'.repeat(48), appEnv: 'development', parentEnv: { PATH: process.env['PATH'], LOG_LEVEL: 'warn' } }, a, port),
      graceMs: 8000,
      readyTimeoutMs: 30_000,
      backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 },
    };
    first = new Supervisor(opts);
  });

  after(async () => {
    await second?.stopAll();
    await first?.stopAll();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('starts N ready instances of a version on distinct ports and persists them', async () => {
    started = await first.start(artifact.version, 2);
    assert.equal(started.length, 2);
    assert.notEqual(started[0]!.port, started[1]!.port);
    for (const i of started) {
      assert.equal(i.state, 'ready');
      assert.equal(await version(i.url), artifact.version);
      assert.equal((await fetch(`${i.url}/health/ready`)).status, 200);
    }
    const saved = loadSupervisorState(opts.stateFile);
    assert.deepEqual(saved.instances.map((i) => [i.id, i.pid, i.port]), started.map((i) => [i.id, i.pid, i.port]));
  });

  test('an instance killed with SIGKILL is restarted on its port', async () => {
    const victim = started[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    const back = await until('the restart', async () => {
      const i = (await first.list()).find((x) => x.id === victim.id);
      return i && i.state === 'ready' && i.pid !== victim.pid ? i : null;
    });
    assert.equal(back.restarts, 1);
    assert.equal(back.port, victim.port);
    assert.equal(back.lastExit?.signal, 'SIGKILL');
    assert.equal(isAlive(victim.pid!), false);
    assert.equal(await version(back.url), artifact.version);
    started[0] = back;
  });

  test('a restarted supervisor adopts live instances and keeps supervising them', async () => {
    first.detach(); // what a crash of the supervisor leaves: the instances keep running
    second = new Supervisor(opts);
    const recovered = await second.recover();
    assert.deepEqual(recovered.adopted.sort(), started.map((i) => i.id).sort());
    assert.deepEqual(recovered.restarted, []);
    const list = await second.list();
    assert.deepEqual(list.map((i) => i.pid).sort(), started.map((i) => i.pid).sort());

    const victim = list[1]!;
    process.kill(victim.pid!, 'SIGKILL');
    const back = await until('the adopted instance to be restarted', async () => {
      const i = (await second!.list()).find((x) => x.id === victim.id);
      return i && i.state === 'ready' && i.pid !== victim.pid ? i : null;
    });
    assert.equal(await version(back.url), artifact.version);
  });

  test('stopping a version leaves no process and no listening port behind', async () => {
    const list = await second!.list();
    const stopped = await second!.stopVersion(artifact.version);
    assert.equal(stopped.length, 2);
    for (const i of list) {
      assert.equal(isAlive(i.pid!), false, `pid ${i.pid} is still alive`);
      assert.equal(await listening(i.port), false, `port ${i.port} still listens`);
    }
    assert.deepEqual(await second!.list(), []);
    assert.deepEqual(loadSupervisorState(opts.stateFile).instances, []);
  });

  test('an instance that never gets ready fails start() and is stopped', async () => {
    const broken = new Supervisor({
      ...opts,
      stateFile: join(root, 'runtime/broken.json'),
      readyTimeoutMs: 4000,
      // A database that does not exist: the API starts but /health/ready stays 503.
      envFor: (a, port, metricsPort) => ({ ...opts.envFor(a, port, metricsPort), DATABASE_URL: `${db.url}_missing` }),
    });
    await assert.rejects(broken.start(artifact.version, 1), (err: Error & { code?: string; details?: { failed: string[] } }) => {
      assert.equal(err.code, 'instance_not_ready');
      assert.equal(err.details?.failed.length, 1);
      return true;
    });
    assert.deepEqual(await broken.list(), []);
    const saved = loadSupervisorState(join(root, 'runtime/broken.json'));
    assert.deepEqual(saved.instances, []);
  });
});
