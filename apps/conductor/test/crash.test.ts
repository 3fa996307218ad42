import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AccEnv } from './support/acceptance-env.js';
import { acceptanceRollout } from './support/acceptance-rollout.js';
import { startAppLoad } from './support/app-load.js';

// Crash safety and the lock of the direct path (no controller: ccr deploy drives in-process),
// with real processes: `ccr deploy` is killed with SIGKILL while
// its canary holds 25% of the traffic; then `ccr deploy --resume` (and ccr promote) finishes
// it, or `ccr abort` takes over and rolls it back. Two deploys at once: the second fails fast
// and names the holder.

describe('crash safety and the environment lock', { timeout: 900_000 }, () => {
  let e: AccEnv;
  before(async () => {
    e = await AccEnv.create({ versions: ['v1', 'v2'], rollout: (v) => acceptanceRollout({ ...v, canaryPause: '60s' }) });
    const up = await e.ccr(['up', '--detach', '--no-controller', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 900_000 });
  after(async () => {
    await e?.close();
  });

  const persistedCanaryWeight = () =>
    e.store(async (c) => Number((await c.query<{ w: string | null }>(`SELECT data->'canary'->>'weight' AS w FROM releases ORDER BY created_at DESC LIMIT 1`)).rows[0]?.w ?? -1));

  /** Starts a canary of v2 and resolves once 25% of api traffic is on it (and recorded). */
  async function canaryAt25(): Promise<ChildProcess> {
    const child = e.spawn(['deploy', 'v2', '--strategy', 'canary']);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = await e.routerState();
      const total = Object.values(s.api).reduce((a, b) => a + b, 0);
      // the router moves first, then the release records the weight: kill only once both did
      if ((s.api['v2'] ?? 0) / total === 0.25 && (await persistedCanaryWeight()) === 25) return child;
      assert.ok(Date.now() < deadline, `the canary never reached 25%: ${err}`);
      assert.equal(child.exitCode, null, `deploy exited early: ${err}`);
      await sleep(100);
    }
  }

  const kill9 = async (child: ChildProcess) => {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };

  test('kill -9 at 25%, then ccr deploy --resume (and ccr promote) finishes the release; clients never see an error', async () => {
    const load = await startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl });
    await kill9(await canaryAt25());
    const split = await e.routerState();
    assert.ok(split.api['v1'] && split.api['v2'], 'the kill left the split in place');
    const status = await e.ccr(['status', '--json']);
    const rel = (status.json!['releases'] as { release: { state: string; inFlight: boolean; unattended: boolean; canary: { weight: number } } }).release;
    assert.deepEqual([rel.inFlight, rel.unattended, rel.canary.weight], [true, true, 25]);
    const lock = await e.ccr(['lock', 'status', '--json']);
    assert.equal((lock.json!['lock'] as { state: string }).state, 'stale', 'the dead holder no longer holds the advisory lock');

    const resumed = e.ccr(['deploy', '--resume', '--json']);
    for (let i = 0; i < 100; i++) {
      const l = await e.ccr(['lock', 'status', '--json']);
      if ((l.json!['lock'] as { state?: string } | null)?.state === 'held') break;
      await sleep(200);
    }
    const promote = await e.ccr(['promote', '--json']);
    if (promote.code !== 0) {
      const rr = await resumed;
      assert.fail(`promote: ${promote.stderr}${promote.stdout}\nresumed deploy: ${rr.stderr}${rr.stdout}`);
    }
    const r = await resumed;
    const stats = await load.stop();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((r.json!['release'] as { state: string }).state, 'promoted');
    assert.deepEqual(await e.routerState().then((s) => Object.keys(s.api)), ['v2']);
    assert.equal(stats.failed, 0, stats.failures.join('\n'));
    const audit = await e.ccr(['audit', '--json']);
    const actions = (audit.json!['entries'] as Array<{ action: string }>).map((a) => a.action);
    assert.ok(actions.includes('release.resume') && actions.includes('canary.promote'), actions.join(','));
    const back = await e.ccr(['rollback', '--to', 'v1', '--json']);
    assert.equal(back.code, 0, back.stderr);
  });

  test('kill -9 at 25%, then ccr lock release --force (audited) and ccr abort: all traffic back on v1, v2 stopped', async () => {
    await kill9(await canaryAt25());
    const forced = await e.ccr(['lock', 'release', '--force', '--reason', 'the conductor was killed', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    const abort = await e.ccr(['abort', '--json']);
    assert.equal(abort.code, 0, abort.stderr + abort.stdout);
    assert.equal((abort.json!['release'] as { state: string }).state, 'aborted');
    const s = await e.routerState();
    assert.deepEqual([Object.keys(s.api), Object.keys(s.web)], [['v1'], ['v1']]);
    const status = await e.ccr(['status', '--json']);
    const versions = (status.json!['versions'] as Array<{ version: string }>).map((v) => v.version);
    assert.deepEqual(versions, ['v1'], 'v2 instances were stopped');
    const audit = await e.ccr(['audit', '--json']);
    assert.ok((audit.json!['entries'] as Array<{ action: string }>).some((a) => a.action === 'lock.force-release'));
  });

  test('of two concurrent deploys the second fails fast naming the lock holder; ccr abort stops the first', async () => {
    const first = await canaryAt25();
    const started = Date.now();
    const second = await e.ccr(['deploy', 'v2', '--json']);
    assert.ok(Date.now() - started < 15_000, 'failed fast');
    assert.equal(second.code, 4, 'a held lock is a conflict (exit 4)');
    const err = second.json!['error'] as { code: string; message: string };
    assert.equal(err.code, 'lock_held');
    assert.match(err.message, new RegExp(`locked by acceptance@test \\(pid ${first.pid}`));
    const firstDone = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
    const abort = await e.ccr(['abort', '--json']);
    assert.equal(abort.code, 0, abort.stderr + abort.stdout);
    assert.equal(await firstDone, 3, 'the first deploy rolled back on the abort');
    assert.deepEqual(await e.routerState().then((s) => Object.keys(s.api)), ['v1']);
  });
});
