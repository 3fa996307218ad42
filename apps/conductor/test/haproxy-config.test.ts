import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseRollout } from '../src/config/index.js';
import type { CcPaths } from '../src/paths.js';
import { connectHaproxyTarget } from '../src/targets/haproxy/connect-haproxy.js';
import { HaproxyDataPlane, supportsDynamicServers } from '../src/targets/haproxy/data-plane.js';
import { HAPROXY_BIN, writeHaproxyFiles } from '../src/targets/haproxy/haproxy-process.js';
import { exampleOptions, parseRenderArgs } from '../src/targets/haproxy/render-cli.js';
import { renderHaproxyConfig } from '../src/targets/haproxy/render-config.js';
import { startLiveHaproxy } from './haproxy-stage.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The example config for real hosts stays what the renderer produces and what haproxy
// accepts; ccr finds the layout of a running HAProxy by itself; hosts it cannot reach are
// refused plainly.

const EXAMPLE_ARGS = ['--dir', '/etc/haproxy/cc', '--bind', '0.0.0.0:80', '--socket', '/run/haproxy/cc-admin.sock'];

describe('haproxy config', () => {
  test('deploy/haproxy/haproxy.cfg is the rendered example, and haproxy -c accepts it with its runtime files', () => {
    const a = parseRenderArgs(EXAMPLE_ARGS);
    const committed = readFileSync(new URL('../../../deploy/haproxy/haproxy.cfg', import.meta.url), 'utf8');
    assert.equal(committed, renderHaproxyConfig({ ...exampleOptions(a), mapDir: '/etc/haproxy/cc' }), 'regenerate it with the command in deploy/haproxy/README.md');
    const dir = tempDir('cc-haproxy-cfg-');
    try {
      const cfg = writeHaproxyFiles(dir, { ...exampleOptions(a), statsSocket: join(dir, 'admin.sock'), pinToken: 'example-pin-token' });
      const check = spawnSync(HAPROXY_BIN, ['-c', '-f', cfg], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr + check.stdout);
      assert.equal(readFileSync(join(dir, 'cc-pin-token.acl'), 'utf8'), 'example-pin-token\n');
      assert.ok(!readFileSync(cfg, 'utf8').includes('example-pin-token'), 'the pin token stays out of haproxy.cfg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the renderer names the bad argument', () => {
    assert.throws(() => parseRenderArgs(['--dir', '/x', '--bind', 'nope', '--socket', '/s']), /--bind: host:port/);
    assert.throws(() => parseRenderArgs(['--dir', 'relative', '--bind', 'h:1', '--socket', '/s']), /--dir/);
  });

  test('a data plane created without a layout reads the version backends from the running HAProxy', async () => {
    const h = await startLiveHaproxy({ pinToken: 'p-123456789', health: { intervalMs: 500, timeoutMs: 500, rise: 2, fall: 2 } });
    try {
      const plane = new HaproxyDataPlane(h.proc.runtime, { backends: { api: 'cc_api', web: 'cc_web' }, slots: 0 });
      const state = await plane.readState();
      assert.deepEqual(state.services, { api: { targets: [] }, web: { targets: [] } });
      assert.equal(plane.layout.slots, 4);
      const wrong = new HaproxyDataPlane(h.proc.runtime, { backends: { api: 'nope_api', web: 'cc_web' }, slots: 0 });
      await assert.rejects(wrong.readState(), /no nope_api\/cc_web backends/);
    } finally {
      await h.stop();
    }
  });

  test('HAProxy before 2.4 (no dynamic servers with checks) is refused by version', () => {
    assert.throws(() => supportsDynamicServers('Name: HAProxy\nVersion: 2.2.9-2+deb11u6\n'), /HAProxy 2\.2 has no dynamic servers/);
    assert.throws(() => supportsDynamicServers('Name: HAProxy\n'), /did not report its version/);
    supportsDynamicServers('Name: HAProxy\nVersion: 2.4.0\n');
    supportsDynamicServers('Name: HAProxy\nVersion: 3.0.5\n');
  });

  test('hosts off this machine are refused as not implemented, naming them', () => {
    const cfg = parseRollout(`
version: 1
defaultEnvironment: prod
environments:
  prod:
    target:
      type: haproxy
      runtimeApi: /run/haproxy/cc-admin.sock
      publicUrl: https://cc.example.com
      backend: { api: cc_api, web: cc_web }
      hosts: [{ name: app1, address: 10.0.0.11 }, { name: app2, address: 127.0.0.1 }]
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
`, 'rollout.yaml');
    const target = cfg.environments['prod']!.target;
    assert.equal(target.type, 'haproxy');
    if (target.type !== 'haproxy') return;
    assert.throws(() => connectHaproxyTarget(target, {} as CcPaths), (err: Error & { code?: string }) => err.code === 'not_implemented' && /app1/.test(err.message) && !/app2/.test(err.message));
  });
});
