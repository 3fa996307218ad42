// The applied state is on disk, written atomically, and a restarted router routes by it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { createRouter, isRouterError } from '../src/index.js';
import { request } from './support/http-client.js';
import { ADMIN_TOKEN, apiOnly, startRouter, t } from './support/router-fixture.js';
import { startUpstream } from './support/upstream.js';

test('state survives a restart: same version counter, same routing', async () => {
  const v1 = await startUpstream({ id: 'a1', version: 'v1' });
  const v2 = await startUpstream({ id: 'a2', version: 'v2' });
  try {
    const first = await startRouter(apiOnly(t(v1, 100)));
    await first.router.setState(apiOnly(t(v1, 0), t(v2, 100)), 0);
    await first.router.setMaintenance({ enabled: false, message: 'kept' });
    const before = first.router.getState();
    assert.equal(before.version, 2);
    await first.stop();

    const onDisk = JSON.parse(readFileSync(first.stateFile, 'utf8')) as unknown;
    assert.deepEqual(onDisk, before);
    assert.deepEqual(readdirSync(dirname(first.stateFile)), ['state.json'], 'no temp files left behind');

    // The initial state passed here is ignored: the file wins.
    const second = await startRouter(apiOnly(t(v1, 100)), { stateFile: first.stateFile });
    try {
      assert.deepEqual(second.router.getState(), before);
      for (let i = 0; i < 10; i++) {
        assert.equal((await request(`${second.base}/api/x`)).headers['x-cc-served-by'], 'v2');
      }
      await assert.rejects(second.router.setState(apiOnly(t(v1, 1)), 1), (err) => isRouterError(err) && err.code === 'version_conflict');
    } finally {
      await second.stop();
    }
  } finally {
    await Promise.all([v1.kill(), v2.kill()]);
  }
});

test('a corrupt state file stops the router from starting instead of routing blind', async () => {
  const fx = await startRouter(apiOnly());
  await fx.stop();
  writeFileSync(fx.stateFile, '{"version": 1, "state": {"services": {}}}');
  await assert.rejects(
    createRouter({ adminToken: ADMIN_TOKEN, stateFile: fx.stateFile }),
    (err) => isRouterError(err) && err.code === 'state_read_failed',
  );
});
