import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRouter, type Router } from '@cc/router';
import { conductorKeeper, recordedTraffic, ROUTER_HAS_NO_STATE, ROUTER_IS_NEWER } from '../src/rollback/traffic-reconcile.js';
import { RouterAdminClient } from '../src/runtime/router-client.js';
import { createRelease } from '../src/store/index.js';
import type { InstanceInfo } from '../src/supervisor/types.js';
import { useScratchStore } from './support/scratch-db.js';

// After a restart the router and the conductor's record agree, or are reconciled saying which
// was trusted and why (issue 16). Both orders of the two writes, against a real router with a
// persisted state file and a real store: the router ahead of the record (a conductor died
// between the router applying a change and recording it) is trusted and the record caught up;
// a router without state gets the record's split back. And after `ccr down && ccr up`, the
// persisted split is spread over the new instances of the same versions.

const TOKEN = 'admin-token-for-reconcile-tests';
const inst = (id: string, version: string, port: number): InstanceInfo => ({ id, version, port, metricsPort: null, url: `http://127.0.0.1:${port}`, pid: null, state: 'ready', restarts: 0, startedAt: '', lastExit: null, logFile: '' });
const OLD = [inst('api-v1-1', 'v1', 40001), inst('api-v2-3', 'v2', 40003)];
const NEW = [inst('api-v1-7', 'v1', 40011), inst('api-v1-8', 'v1', 40012), inst('api-v2-9', 'v2', 40013)];

describe('router and record after a restart', () => {
  const scratch = useScratchStore();
  let dir: string;
  const routers: Router[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccr-reconcile-'));
  });
  after(async () => {
    for (const r of routers) await r.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  async function router(name: string): Promise<RouterAdminClient> {
    const r = await createRouter({ adminToken: TOKEN, host: '127.0.0.1', stateFile: join(dir, `${name}.json`), healthCheck: { enabled: false } });
    routers.push(r);
    const { adminPort } = await r.listen();
    return new RouterAdminClient(`http://127.0.0.1:${adminPort}`, TOKEN);
  }

  async function releaseWithRecord(env: string, split: Record<string, number>): Promise<string> {
    const rel = await createRelease(scratch.store, { env, ref: 'v2', strategy: 'canary', startedBy: 't', phase: 'deployment', previousVersion: 'v1' });
    for (const service of ['api', 'web']) await scratch.store.query('INSERT INTO traffic_history (release_id, env, service, weights) VALUES ($1, $2, $3, $4)', [rel.id, env, service, split]);
    return rel.id;
  }

  const keeper = (env: string) => conductorKeeper(() => Promise.resolve({ db: scratch.store, env, actor: 'test', close: () => Promise.resolve() }));
  const weights = async (c: RouterAdminClient) => {
    const out: Record<string, number> = {};
    for (const t of (await c.getState()).state.services.api.targets) if (t.weight) out[t.version] = (out[t.version] ?? 0) + t.weight;
    return out;
  };
  const audits = async (releaseId: string) =>
    (await scratch.store.query<{ result: string; details: { why?: string; when: string } }>("SELECT result, details FROM audit_log WHERE action = 'traffic.reconcile' AND release_id = $1 ORDER BY id", [releaseId])).rows;

  test('the router is ahead of the record: the router is trusted and the record caught up', async () => {
    const id = await releaseWithRecord('ahead', { v1: 75, v2: 25 });
    const c = await router('ahead');
    // Applied by the router (persisted), never recorded: the conductor died in between.
    await c.updateState((d) => ({ ...d.state, services: { api: { targets: [{ ...OLD[0]!, weight: 50 }, { ...OLD[1]!, weight: 50 }].map(({ id: i, version, url, weight }) => ({ id: i, version, url, weight })) }, web: d.state.services.web } }));
    const line = await keeper('ahead').restore(c, OLD, 'v1', 'restart');
    assert.match(line, /trusted the router/);
    assert.deepEqual(await weights(c), { v1: 50, v2: 50 }, 'the router is left as it is');
    assert.deepEqual((await recordedTraffic(scratch.store, 'ahead', id))?.split.api, { v1: 50, v2: 50 });
    const a = await audits(id);
    assert.deepEqual(a.map((x) => [x.result, x.details.why, x.details.when]), [['trusted the router', ROUTER_IS_NEWER, 'restart']]);
  });

  test('the router lost its state: the record is trusted and its split applied again', async () => {
    const id = await releaseWithRecord('lost', { v1: 75, v2: 25 });
    const c = await router('lost'); // a fresh state file: no targets
    const line = await keeper('lost').restore(c, NEW, 'v1', 'restart');
    assert.match(line, /restored the record's split/);
    assert.deepEqual(await weights(c), { v1: 7500, v2: 2500 });
    const ids = (await c.getState()).state.services.api.targets.map((t) => t.id).sort();
    assert.deepEqual(ids, NEW.map((i) => i.id).sort());
    assert.deepEqual((await audits(id)).map((x) => [x.result, x.details.why]), [['trusted the record', ROUTER_HAS_NO_STATE]]);
  });

  test('ccr down && ccr up: the persisted split comes back on new instances of the same versions, and agrees with the record', async () => {
    const id = await releaseWithRecord('again', { v1: 75, v2: 25 });
    const c = await router('again');
    const old = [{ ...OLD[0]!, weight: 7500 }, { ...OLD[1]!, weight: 2500 }].map(({ id: i, version, url, weight }) => ({ id: i, version, url, weight }));
    await c.updateState((d) => ({ ...d.state, services: { api: { targets: old }, web: { targets: old } } }));
    const persisted = await c.getState();
    // What `ccr up` starts: the active version's instances, plus as many of v2 as the router had.
    assert.deepEqual(await keeper('again').versionsToRun(persisted, 'v1', 2), { v2: 1 });
    const line = await keeper('again').restore(c, NEW, 'v1', 'start');
    assert.match(line, /spread over the running instances; the router and the record of r-\S+ agree/);
    assert.deepEqual(await weights(c), { v1: 7500, v2: 2500 });
    assert.ok((await c.getState()).state.services.api.targets.every((t) => NEW.some((i) => i.id === t.id)));
    assert.deepEqual((await audits(id)).map((x) => [x.result, x.details.when]), [['agree', 'start']]);
  });
});
