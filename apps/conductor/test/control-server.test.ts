import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startControlServer } from '../src/runtime/control-server.js';
import type { InstanceController } from '../src/supervisor/types.js';

// The runtime's control API answers a caller's mistakes with 4xx: a path segment that is not
// valid percent-encoding used to reach decodeURIComponent unguarded and come back as a 500.

test('bad percent-encoding in an instance id or version is a 400 usage error, a good one still works', async () => {
  const stopped: string[] = [];
  const controller: InstanceController = {
    start: async () => [],
    list: async () => [],
    stop: async (id) => {
      stopped.push(id);
    },
    stopVersion: async () => [],
  };
  const server = await startControlServer('t0ken', { controller, status: async () => ({}), setActiveVersion: () => undefined, repair: async () => [], shutdown: () => undefined });
  const call = (method: string, path: string) => fetch(`${server.url}${path}`, { method, headers: { authorization: 'Bearer t0ken' } });
  try {
    for (const [method, path] of [['DELETE', '/v1/instances/%E0'], ['DELETE', '/v1/instances/%'], ['POST', '/v1/versions/%C3%28%ZZ/stop']] as const) {
      const res = await call(method, path);
      assert.equal(res.status, 400, `${method} ${path}`);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'usage');
      assert.match(body.error.message, /not valid percent-encoding/);
    }
    assert.deepEqual(stopped, []);
    const ok = await call('DELETE', '/v1/instances/api-v%201-3');
    assert.equal(ok.status, 200);
    assert.deepEqual(stopped, ['api-v 1-3']);
  } finally {
    await server.close();
  }
});
