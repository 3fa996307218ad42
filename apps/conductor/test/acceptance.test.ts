import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AccEnv, webhookListener, type Webhook } from './support/acceptance-env.js';
import { acceptanceRollout } from './support/acceptance-rollout.js';
import { startAppLoad } from './support/app-load.js';

// Issue 5's acceptance, end to end with real processes: `ccr up` runs v1 (router, supervisor,
// two API instances on a scratch database), real players load it through the router, and
// `ccr deploy` rolls v2 out with each strategy. Bad releases: acceptance-bad.test.ts.

describe('ccr deploy end to end: each strategy', { timeout: 900_000 }, () => {
  let e: AccEnv;
  let hook: Webhook;
  before(async () => {
    hook = await webhookListener();
    e = await AccEnv.create({ versions: ['v1', 'v2'], webhook: '', rollout: () => acceptanceRollout({ webhook: hook.url }) });
    const up = await e.ccr(['up', '--detach', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 900_000 });
  after(async () => {
    await e?.close();
    await hook?.close();
  });

  const load = (expectedErrors?: (v: string) => boolean) =>
    startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl, ...(expectedErrors ? { expectedErrors } : {}) });

  const backToV1 = async () => {
    const r = await e.ccr(['rollback', '--to', 'v1', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(await e.routerState().then((s) => [s.api, s.web]), [{ v1: 10000 }, { v1: 10000 }]);
    // v1 and v2 share one schema: the rollback says it had nothing to do there
    assert.equal((r.json!['schema'] as { action: string }).action, 'none');
  };

  for (const strategy of ['blue-green', 'canary', 'rolling']) {
    test(`${strategy}: v1 -> v2 under steady load, zero failed requests, exit 0`, async () => {
      const l = await load();
      await sleep(1000);
      const r = await e.ccr(['deploy', 'v2', '--strategy', strategy, '--json']);
      await sleep(1000);
      const stats = await l.stop();
      assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
      assert.equal((r.json!['release'] as { state: string }).state, 'promoted');
      assert.equal(stats.failed, 0, stats.failures.join('\n'));
      assert.ok(stats.byVersion['v1']! > 0 && stats.byVersion['v2']! > 0, JSON.stringify(stats.byVersion));
      const state = await e.routerState();
      assert.deepEqual(Object.keys(state.api), ['v2']);
      assert.deepEqual(Object.keys(state.web), ['v2']);
      if (strategy === 'blue-green') {
        const status = await e.ccr(['status', '--json']);
        const rel = (status.json!['releases'] as { activeVersion: string; previousVersion: string; release: { state: string; strategy: string } });
        assert.equal(rel.activeVersion, 'v2');
        assert.equal(rel.previousVersion, 'v1');
        assert.deepEqual([rel.release.state, rel.release.strategy], ['promoted', strategy]);
      }
      await backToV1();
    });
  }
});
