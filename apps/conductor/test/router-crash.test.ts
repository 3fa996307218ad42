import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AccEnv } from './support/acceptance-env.js';
import { routerCrashRollout, runRouterCrash } from './support/router-crash.js';

// Issue 16, "the router is a single point of failure": kill -9 of the router under a canary at
// 25% with steady load. The runtime restarts it with its weights, the release goes on and is
// promoted, and the load loses only what the dead router was handling (its open connections);
// connections made while it restarts wait for it. The timing figures are bench:deploy's.

describe('kill -9 of the router during a canary', { timeout: 600_000 }, () => {
  let e: AccEnv;
  before(async () => {
    e = await AccEnv.create({ versions: ['v1', 'v2'], rollout: () => routerCrashRollout() });
    const up = await e.ccr(['up', '--detach', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 600_000 });
  after(async () => {
    await e?.close();
  });

  test('restarted with its weights; the release finishes; failed requests bounded by the open connections', async () => {
    const r = await runRouterCrash(e);
    process.stdout.write(`# router kill: restarted in ${r.restartMs} ms; load ${r.stats.total} requests, ${r.stats.failed} failed (${r.failedAroundKill} around the kill): ${r.stats.failures.slice(0, 4).join('; ')}\n`);
    assert.notEqual(r.newPid, r.killedPid);
    assert.deepEqual(r.weightsAfter.api, { v1: 7500, v2: 2500 }, 'the restarted router has the canary split it persisted');
    assert.equal(r.deploy.code, 0, `${r.deploy.stderr}\n${r.deploy.stdout}`);
    assert.equal((r.deploy.json!['release'] as { state: string }).state, 'promoted');
    assert.deepEqual(Object.keys((await e.routerState()).api), ['v2']);
    // The load keeps at most 8 connections (4 clients, 2 sockets each): only requests on
    // connections the dead router held can fail, never one made while it restarted.
    assert.ok(r.stats.failed <= 8, `${r.stats.failed} failed requests: ${r.stats.failures.join('; ')}`);
    // The runtime compared the restarted router with the conductor's record, and said so.
    const audit = await e.store((c) => c.query<{ result: string; details: { when: string } }>("SELECT result, details FROM audit_log WHERE action = 'traffic.reconcile' ORDER BY id"));
    assert.ok(audit.rows.some((a) => a.result === 'agree' && a.details.when === 'restart'), JSON.stringify(audit.rows));
    const status = await e.ccr(['status', '--json']);
    const router = status.json!['router'] as { up: boolean; restarts: number; lastExit: { signal: string } };
    assert.deepEqual([router.up, router.restarts, router.lastExit.signal], [true, 1, 'SIGKILL']);
  });
});
