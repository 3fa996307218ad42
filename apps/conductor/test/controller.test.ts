import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EnvLock } from '../src/store/index.js';
import { AccEnv } from './support/acceptance-env.js';
import { acceptanceRollout } from './support/acceptance-rollout.js';

// The release controller with real processes against one real store and a real runtime
// (router, API instances): `ccr server` is killed with SIGKILL mid-canary, during a blue/green
// switch and during hypercare, and restarted (or a second one takes over): each release goes
// on by itself, at the step and weight it had. `ccr deploy` is only a follower: killing it
// changes nothing. Control requests from two clients at once both stay in the record.

const HYPERCARE = '{ duration: 8s, interval: 1s, errorRate: false, latency: false, outbox: false, restarts: false, disk: { minFreeRatio: 0.001 } }';

interface Server {
  child: ChildProcess;
  out: () => string;
}

describe('the release controller (ccr server)', { timeout: 900_000 }, () => {
  let e: AccEnv;
  const servers: Server[] = [];

  before(async () => {
    e = await AccEnv.create({ versions: ['v1', 'v2'], rollout: (v) => acceptanceRollout({ ...v, canaryPause: '4s', hypercare: HYPERCARE }) });
    const up = await e.ccr(['up', '--detach', '--no-controller', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 900_000 });
  after(async () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await e?.close();
  });

  async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 90_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Each test starts from no controller running (a failed one may have left some). */
  beforeEach(async () => {
    for (const s of servers.splice(0)) await kill9(s.child);
  });

  async function startServer(): Promise<Server> {
    const child = e.spawn(['server', '--env', 'local']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const s = { child, out: () => out };
    servers.push(s);
    await until('ccr server to start', async () => /serving local/.test(out) || (child.exitCode !== null && assert.fail(`ccr server exited: ${out}`)));
    return s;
  }

  const kill9 = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };

  const apiShare = async (v: string) => {
    const s = await e.routerState();
    const total = Object.values(s.api).reduce((a, b) => a + b, 0);
    return total ? (s.api[v] ?? 0) / total : 0;
  };

  const inFlight = () => e.store(async (c) => (await c.query(`SELECT id, state, step, data FROM releases WHERE state IN ('running', 'waiting', 'paused', 'rolling_back')`)).rows[0] as
    { id: string; state: string; step: string; data: { canary?: { index: number; weight: number } } } | undefined);

  const release = (id: string) => e.store(async (c) => (await c.query('SELECT state, reason FROM releases WHERE id = $1', [id])).rows[0] as { state: string; reason: string });

  const auditOf = (id: string) => e.store(async (c) => (await c.query('SELECT actor, identity, channel, action, result FROM audit_log WHERE release_id = $1 ORDER BY id', [id])).rows as
    Array<{ actor: string; identity: string | null; channel: string | null; action: string; result: string }>);

  const lockOwner = () => e.store(async (c) => (await c.query(`SELECT owner FROM env_locks l WHERE EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid)`)).rows[0]?.owner as string | undefined);

  test('kill -9 of the following ccr deploy and of the controller mid-canary: the restarted controller resumes at the same step and weight, and finishes', async () => {
    const srv = await startServer();
    const deploy = e.spawn(['deploy', 'v2', '--strategy', 'canary']);
    let err = '';
    deploy.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await until('the canary at 25%', async () => (await apiShare('v2')) === 0.25 || (deploy.exitCode !== null && assert.fail(`deploy exited: ${err}`)));
    assert.match(err, /the controller .* drives it, following/);
    await kill9(deploy);
    const r = (await inFlight())!;
    assert.ok(r, 'the release is still in flight after its client died');
    const stepBefore = r.step;
    await kill9(srv.child);
    const held = await inFlight();
    assert.deepEqual([held?.step, held?.data.canary?.weight, await apiShare('v2')], [stepBefore, 25, 0.25], 'nothing moved while nobody drove it');

    const srv2 = await startServer();
    await until('the new controller to drive it', async () => /driving release/.test(srv2.out()));
    const resumedAt = await inFlight();
    assert.equal(resumedAt?.data.canary?.index, 0, 'resumed at the same canary step');
    const watch = await e.ccr(['watch', r.id, '--json'], 120_000);
    assert.equal(watch.code, 0, watch.stderr + watch.stdout);
    assert.equal((watch.json!['release'] as { state: string }).state, 'promoted');
    assert.deepEqual(Object.keys((await e.routerState()).api), ['v2']);
    const weights = await e.store(async (c) => (await c.query(`SELECT weights FROM traffic_history WHERE release_id = $1 AND service = 'api' ORDER BY id`, [r.id])).rows.map((x) => x.weights['v2'] ?? 0));
    assert.deepEqual(weights, [0, 25, 100], 'the weight was never reset by the restart');
    const audit = await auditOf(r.id);
    const takeover = audit.find((a) => a.action === 'lock.takeover');
    assert.ok(takeover, 'the takeover is audited');
    assert.equal(takeover.channel, 'controller');
    assert.match(takeover.identity ?? '', /^controller:/);
    assert.ok(audit.every((a) => a.identity && a.channel), 'every audit row names the identity and the channel');
    assert.ok(audit.some((a) => a.action === 'release.started' && a.channel === 'cli' && a.identity === 'os:acceptance@test'));
    await kill9(srv2.child);
  });

  test('promote and abort from two clients at once: both are recorded, the second is refused with conflict naming the first', async () => {
    const srv = await startServer();
    const deploy = e.spawn(['deploy', 'v1', '--strategy', 'canary']);
    await until('the canary of v1 at 25%', async () => (await apiShare('v1')) === 0.25);
    await kill9(srv.child);
    await kill9(deploy);
    const r = (await inFlight())!;
    // A driver that applies nothing for now (this test holds the env lock), so both requests
    // meet while neither is decided.
    const hold = await EnvLock.acquire(e.env['CCR_DATABASE_URL']!, { env: 'local', owner: 'test-holder', leaseMs: 3000 });
    const promoteRun = e.ccr(['promote', '--json']);
    const abortRun = e.ccr(['abort', '--json']);
    const reqs = await until('both requests recorded', async () => {
      const rows = await e.store(async (c) => (await c.query('SELECT id, action, state, result FROM control_requests WHERE release_id = $1 ORDER BY id', [r.id])).rows as
        Array<{ id: number; action: string; state: string; result: string }>);
      return rows.length === 2 ? rows : null;
    });
    const [first, second] = reqs as [typeof reqs[0], typeof reqs[0]];
    assert.deepEqual([first.state, second.state], ['pending', 'rejected']);
    assert.match(second.result, new RegExp(`conflict: ${first.action} #${first.id} by os:acceptance@test at .* is still pending`));
    const refused = await (second.action === 'abort' ? abortRun : promoteRun);
    assert.equal(refused.code, 4, refused.stderr + refused.stdout);
    assert.equal((refused.json!['error'] as { code: string }).code, 'conflict');
    assert.match((refused.json!['error'] as { message: string }).message, new RegExp(`${second.action} refused: ${first.action} #${first.id}`));
    await hold.release();
    const srv2 = await startServer();
    const end = await until('the release to end', async () => {
      const x = await release(r.id);
      return ['promoted', 'aborted', 'rolled_back'].includes(x.state) ? x : null;
    });
    assert.equal(end.state, first.action === 'promote' ? 'promoted' : 'aborted', end.reason);
    const applied = await e.store(async (c) => (await c.query('SELECT state FROM control_requests WHERE id = $1', [first.id])).rows[0].state as string);
    assert.equal(applied, 'applied');
    const waited = await (first.action === 'abort' ? abortRun : promoteRun);
    assert.equal(waited.code, 0, `the first client saw its request applied: ${waited.stderr}${waited.stdout}`);
    await kill9(srv2.child);
  });

  test('two controllers against one store: exactly one drives; killed during the blue/green switch, the other takes over (audited) and finishes', async () => {
    const a = await startServer();
    const b = await startServer();
    const active = (await e.routerState()).api;
    const to = Object.keys(active)[0] === 'v2' ? 'v1' : 'v2';
    const deploy = e.spawn(['deploy', to, '--strategy', 'blue-green']);
    const driver = await until('one controller to reach the switch', async () => {
      for (const s of [a, b]) if (new RegExp(`${to}: 2 instance\\(s\\) ready`).test(s.out())) return s;
      return null;
    });
    const other = driver === a ? b : a;
    assert.doesNotMatch(other.out(), /driving release/, 'the other controller never drove it');
    const driverId = /ccr server (\S+): serving/.exec(driver.out())![1];
    assert.equal(await lockOwner(), `controller:${driverId}`);
    await kill9(driver.child);
    const r = (await inFlight())!;
    await until('the other controller to take over', async () => /driving release/.test(other.out()));
    const end = await until('the release to end', async () => {
      const x = await release(r.id);
      return ['promoted', 'aborted', 'rolled_back', 'failed'].includes(x.state) ? x : null;
    }, 120_000);
    assert.equal(end.state, 'promoted', end.reason);
    const s = await e.routerState();
    assert.deepEqual([Object.keys(s.api), Object.keys(s.web)], [[to], [to]]);
    const audit = await auditOf(r.id);
    // (a takeover of a lease a previous test's killed controller left may come first)
    const takeovers = audit.filter((x) => x.action === 'lock.takeover').map((t) => t.identity);
    const otherId = /ccr server (\S+): serving/.exec(other.out())![1];
    assert.equal(takeovers.at(-1), `controller:${otherId}`, 'the survivor took over');
    assert.equal(takeovers.filter((t) => t === `controller:${otherId}`).length, 1, 'exactly once');
    const switches = audit.filter((x) => x.action === 'traffic.shift').length;
    assert.ok(switches >= 2, 'attach and switch were recorded');
    const code = await new Promise<number | null>((res) => (deploy.exitCode !== null ? res(deploy.exitCode) : deploy.once('exit', (c) => res(c))));
    assert.equal(code, 0, 'the following ccr deploy exits with the release\'s code');
    await kill9(other.child);
  });

  test('kill -9 of the controller during hypercare: the restarted controller keeps the same deadline and promotes', async () => {
    const srv = await startServer();
    const active = Object.keys((await e.routerState()).api)[0]!;
    const to = active === 'v2' ? 'v1' : 'v2';
    const deploy = e.spawn(['deploy', to, '--strategy', 'blue-green', '--json']);
    const hc = await until('hypercare to run', async () => {
      const x = await inFlight();
      const st = x?.data as { hypercare?: { endsAt: string; checks: number } } | undefined;
      return st?.hypercare && st.hypercare.checks >= 1 ? { id: x!.id, endsAt: st.hypercare.endsAt } : null;
    });
    await kill9(srv.child);
    await kill9(deploy);
    const srv2 = await startServer();
    const end = await until('the release to end', async () => {
      const x = await release(hc.id);
      return ['promoted', 'aborted', 'rolled_back', 'failed'].includes(x.state) ? x : null;
    }, 120_000);
    assert.equal(end.state, 'promoted', end.reason);
    const data = await e.store(async (c) => (await c.query('SELECT data FROM releases WHERE id = $1', [hc.id])).rows[0].data as { hypercare: { endsAt: string } });
    assert.equal(data.hypercare.endsAt, hc.endsAt, 'the watch kept its deadline across the restart');
    assert.match(srv2.out(), /driving release/);
    await kill9(srv2.child);
  });

  test('ccr up hosts the controller and restarts it after kill -9; a ccr deploy then only follows, with the release\'s exit code', async () => {
    const down = await e.ccr(['down', '--json']);
    assert.equal(down.code, 0, down.stderr);
    const active = await e.store(async (c) => ((await c.query(`SELECT active_version AS v FROM environments WHERE env = 'local'`)).rows[0]?.v as string | undefined) ?? 'v1');
    const up = await e.ccr(['up', '--detach', '--release', active, '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const runtimeJson = () => JSON.parse(readFileSync(join(e.home, 'runtime', 'runtime.json'), 'utf8')) as { controller?: { pid: number } };
    const first = await until('the hosted controller', async () => runtimeJson().controller?.pid);
    process.kill(first, 'SIGKILL');
    const second = await until('the restarted controller', async () => {
      const pid = runtimeJson().controller?.pid;
      return pid && pid !== first ? pid : null;
    });
    assert.notEqual(second, first);
    // registered (a live session in the store): from now on ccr deploy only follows
    await until('the restarted controller to register', async () => e.store(async (c) =>
      (await c.query('SELECT 1 FROM controllers c WHERE pid = $1 AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.backend_pid)', [second])).rowCount === 1));
    const to = active === 'v2' ? 'v1' : 'v2';
    const r = await e.ccr(['deploy', to, '--strategy', 'rolling', '--json'], 180_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rel = r.json!['release'] as { id: string; state: string };
    assert.equal(rel.state, 'promoted');
    const steps = (await auditOf(rel.id)).filter((a) => a.action.startsWith('step.'));
    assert.ok(steps.length > 0 && steps.every((a) => a.channel === 'controller' && a.identity?.startsWith('controller:')), 'the hosted controller drove every step, not the ccr deploy that followed it');
    assert.deepEqual(Object.keys((await e.routerState()).api), [to]);
  });
});
