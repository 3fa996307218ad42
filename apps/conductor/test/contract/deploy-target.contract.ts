import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeployTarget } from '../../src/engine/deploy-target.js';

// The shared contract every DeployTarget passes (local today; haproxy and kubernetes reuse
// it). A harness gives a target with `stable` running on two instances and carrying all
// traffic, a way to make versions misbehave, and its public URL.

export interface TargetHarness {
  target: DeployTarget;
  stable: string;
  /** Makes the next start() of this version never become ready. */
  neverReady(version: string): void;
  close(): Promise<void>;
}

async function servedBy(t: DeployTarget, path: string, headers: Record<string, string> = {}): Promise<{ status: number; version: string | null }> {
  const res = await fetch(new URL(path, t.publicUrl()), { headers });
  await res.arrayBuffer();
  return { status: res.status, version: res.headers.get('x-cc-served-by') };
}

export function deployTargetContract(name: string, make: () => Promise<TargetHarness>): void {
  describe(`DeployTarget contract: ${name}`, () => {
    let h: TargetHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });

    test('start() returns ready instances that get no user traffic', async () => {
      const started = await h.target.start('c2', 2);
      assert.equal(started.length, 2);
      assert.ok(started.every((i) => i.version === 'c2' && i.state === 'ready'));
      const view = await h.target.traffic();
      assert.deepEqual(view.split.api, { [h.stable]: 100 });
      for (let i = 0; i < 20; i++) assert.equal((await servedBy(h.target, '/version')).version, h.stable);
    });

    test('pinned requests reach a version attached at weight 0, unpinned ones never do', async () => {
      await h.target.route({ api: { [h.stable]: 100, c2: 0 }, web: { [h.stable]: 100, c2: 0 } });
      const view = await h.target.traffic();
      assert.deepEqual(view.split.api, { [h.stable]: 100 });
      assert.ok(view.attached.api.includes('c2'));
      const pinned = await servedBy(h.target, '/version', h.target.pinned('c2').headers);
      assert.deepEqual(pinned, { status: 200, version: 'c2' });
      for (let i = 0; i < 20; i++) assert.equal((await servedBy(h.target, '/version')).version, h.stable);
    });

    test('route() splits weighted traffic in the asked proportion, per service', async () => {
      await h.target.route({ api: { [h.stable]: 50, c2: 50 } });
      const view = await h.target.traffic();
      assert.deepEqual(view.split.api, { [h.stable]: 50, c2: 50 });
      assert.deepEqual(view.split.web, { [h.stable]: 100 }, 'the web service was not in the plan and did not move');
      const seen = new Set<string | null>();
      for (let i = 0; i < 60; i++) seen.add((await servedBy(h.target, '/version')).version);
      assert.deepEqual([...seen].sort(), [h.stable, 'c2'].sort());
    });

    test('counters() count each version\'s requests and 5xx', async () => {
      const before = await h.target.counters();
      for (let i = 0; i < 10; i++) await servedBy(h.target, '/version', h.target.pinned('c2').headers);
      const after = await h.target.counters();
      const total = (l: typeof after) => l.find((c) => c.service === 'api' && c.version === 'c2')?.total ?? 0;
      assert.equal(total(after) - total(before), 10);
      const c = after.find((x) => x.service === 'api' && x.version === 'c2')!;
      assert.equal(c.buckets.at(-1)!.le, Infinity);
      assert.equal(c.buckets.at(-1)!.count, c.total, 'the +Inf bucket holds every request');
    });

    test('detach() refuses to leave a service without weighted targets', async () => {
      await h.target.route({ api: { c2: 100 }, web: { c2: 100 } });
      await assert.rejects(h.target.detach({ version: 'c2' }), /no traffic target/);
      await h.target.route({ api: { [h.stable]: 100 }, web: { [h.stable]: 100 } });
    });

    test('stop() refuses an attached instance; detach then stop removes it', async () => {
      const mine = (await h.target.instances()).filter((i) => i.version === 'c2');
      await assert.rejects(h.target.stop(mine[0]!.id), /still attached/);
      await h.target.detach({ version: 'c2' });
      for (const i of mine) await h.target.stop(i.id);
      assert.equal((await h.target.instances()).filter((i) => i.version === 'c2').length, 0);
      assert.deepEqual((await h.target.traffic()).attached.api, [h.stable]);
    });

    test('route() refuses a version with no running instances', async () => {
      await assert.rejects(h.target.route({ api: { ghost: 10, [h.stable]: 90 } }), /no running instances/);
    });

    test('a version that never becomes ready makes start() reject and leaves nothing running', async () => {
      h.neverReady('bad');
      await assert.rejects(h.target.start('bad', 1, { readyTimeoutMs: 500 }), (err: Error & { code?: string }) => err.code === 'instance_not_ready');
      assert.equal((await h.target.instances()).filter((i) => i.version === 'bad').length, 0);
    });

    test('maintenance answers 503 to users while pinned requests pass', async () => {
      await h.target.setMaintenance(true, 'back soon');
      try {
        assert.equal((await servedBy(h.target, '/version')).status, 503);
        assert.equal((await servedBy(h.target, '/version', h.target.pinned(h.stable).headers)).status, 200);
        assert.equal((await h.target.traffic()).maintenance.enabled, true);
      } finally {
        await h.target.setMaintenance(false);
      }
      assert.equal((await servedBy(h.target, '/version')).status, 200);
    });
  });
}
