import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRouter, type Router } from '@cc/router';
import type pg from 'pg';
import { parseRollout } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { recordSmoke, runSmokeSuite, SMOKE_CHECK_NAMES, smokeInviteFromCli, type SmokeServices } from '../src/smoke/index.js';
import '../src/steps/smoke.js';
import { createRelease, openStorePool } from '../src/store/index.js';
import { REPO_ROOT, startApiProcess, type ApiProcess } from './support/api-process.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runServices } from './support/run-services.js';

// The smoke suite against a real API process, reached through the real router with
// maintenance on: only requests pinned to the new version (X-CC-Version + X-CC-Pin-Token)
// get through, and the "old" version answers 500 to anything, so a request that was not
// pinned cannot pass a check by accident.

const VERSION = 'v-smoke-test';
const PIN = 'pin-token-for-smoke-tests-0123456789';

describe('smoke suite against a real API through the router', () => {
  let api: ApiProcess;
  let old: http.Server;
  let router: Router;
  let base: string;
  let store: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let invite: () => Promise<string>;
  const pinned = { 'X-CC-Version': VERSION, 'X-CC-Pin-Token': PIN };

  before(async () => {
    [api, store] = await Promise.all([startApiProcess({ version: VERSION }), scratchDatabase()]);
    pool = await openStorePool(store.url);
    old = http.createServer((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"old_version","message":"not pinned"}}'));
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    const oldUrl = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
    const svc = { targets: [{ id: 'old', version: 'v-old', url: oldUrl, weight: 100 }, { id: 'new', version: VERSION, url: api.url, weight: 0 }] };
    router = await createRouter({
      port: 0, adminPort: 0, adminToken: 'admin-token-for-smoke-tests-0123456789', pinToken: PIN,
      healthCheck: { enabled: false },
      initialState: { services: { api: svc, web: svc }, maintenance: { enabled: true, message: 'upgrading' } },
    });
    const { port } = await router.listen();
    base = `http://127.0.0.1:${port}`;
    invite = smokeInviteFromCli({ repoRoot: REPO_ROOT }, api.databaseUrl);
  });

  after(async () => {
    await router?.close(100);
    await new Promise((r) => old?.close(r));
    await pool?.end();
    await Promise.all([api?.stop(), store?.drop()]);
  });

  test('every check passes pinned to the new version during maintenance, each timed, and is recorded', async () => {
    const unpinned = await fetch(`${base}/version`);
    assert.equal(unpinned.status, 503, 'maintenance is on for unpinned requests');

    const report = await runSmokeSuite({ baseUrl: base, headers: pinned, expectVersion: VERSION, inviteCode: invite });
    assert.deepEqual(report.checks.filter((c) => !c.ok), [], 'no failed checks');
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => c.name), SMOKE_CHECK_NAMES);
    assert.deepEqual(SMOKE_CHECK_NAMES, ['version', 'frontend', 'signup', 'login', 'refresh', 'daily-reward', 'slots-spin', 'rps-play', 'gacha-pull', 'ledger']);
    for (const c of report.checks) assert.ok(Number.isInteger(c.durationMs) && c.durationMs >= 0, `${c.name} is timed`);
    assert.ok(report.durationMs >= report.checks.reduce((s, c) => s + c.durationMs, 0) - report.checks.length);

    const release = await createRelease(pool, { env: 'smoke', ref: VERSION, strategy: 'blue-green', startedBy: 'tester', phase: 'deployment', previousVersion: null });
    await recordSmoke(pool, release.id, report);
    const rows = await pool.query('SELECT check_name, ok, duration_ms, version, error FROM smoke_results WHERE release_id = $1 ORDER BY id', [release.id]);
    assert.deepEqual(rows.rows.map((r) => [r.check_name, r.ok, r.version, r.error]), report.checks.map((c) => [c.name, true, VERSION, null]));
    assert.deepEqual(rows.rows.map((r) => r.duration_ms), report.checks.map((c) => c.durationMs));
  });

  test('a version mismatch fails the version and frontend checks with expected and actual', async () => {
    const report = await runSmokeSuite({ baseUrl: base, headers: pinned, expectVersion: 'v-other', inviteCode: invite, checks: ['version', 'frontend'] });
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks.map((c) => [c.name, c.ok]), [['version', false], ['frontend', false]]);
    assert.match(report.checks[0]!.error!, /expected version "v-other", got "v-smoke-test"/);
    assert.match(report.checks[1]!.error!, /expected <meta name="cc-version" content="v-other">, got content="v-smoke-test"/);
  });

  test('a wrong invite fails registration with the API error code; the checks that need it are skipped, not run', async () => {
    const report = await runSmokeSuite({ baseUrl: base, headers: pinned, expectVersion: VERSION, inviteCode: async () => 'NOT-A-REAL-INVITE' });
    assert.equal(report.ok, false);
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    assert.equal(by['version']!.ok, true);
    assert.equal(by['frontend']!.ok, true);
    assert.equal(by['signup']!.ok, false);
    assert.match(by['signup']!.error!, /POST \/api\/auth\/signup: expected 201, got 403 invalid_invite/);
    assert.ok(!by['signup']!.error!.includes('NOT-A-REAL-INVITE'), 'the invite code is not echoed');
    for (const name of ['login', 'refresh', 'daily-reward', 'slots-spin', 'rps-play', 'gacha-pull', 'ledger']) {
      assert.equal(by[name]!.skipped, true, `${name} skipped`);
      assert.equal(by[name]!.durationMs, 0);
    }
    assert.match(by['login']!.error!, /needs signup/);
    assert.match(by['ledger']!.error!, /needs slots-spin, rps-play, gacha-pull/);
  });

  test('a wrong pin token is refused by the router, and the report names the status, never the token', async () => {
    const bad = 'wrong-pin-token-that-must-not-leak';
    const report = await runSmokeSuite({ baseUrl: base, headers: { 'X-CC-Version': VERSION, 'X-CC-Pin-Token': bad }, expectVersion: VERSION, inviteCode: invite, checks: ['version'] });
    assert.match(report.checks[0]!.error!, /GET \/version: expected 200, got 403 pin_forbidden/);
    assert.ok(!JSON.stringify(report).includes(bad));
  });

  test('an unreachable API is reported per check, with what was attempted', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const report = await runSmokeSuite({ baseUrl: `http://127.0.0.1:${port}`, headers: pinned, expectVersion: VERSION, inviteCode: async () => 'X', checks: ['version'] });
    assert.match(report.checks[0]!.error!, /GET \/version: request failed \(ECONNREFUSED\)/);
  });

  test('the smoke step runs the suite for the release version and records it; without services it fails saying so', async () => {
    const config = parseRollout(`
version: 1
defaultEnvironment: smoke
environments:
  smoke: { target: { type: local } }
plan:
  - phase: deployment
    steps:
      - { id: smoke, kind: automated, type: smoke, title: Smoke tests }
`, 'test.yaml');
    const step = config.plan[0]!.steps[0]! as Parameters<ReturnType<typeof stepImpl>['reconcile']>[1];
    const release = await createRelease(pool, { env: 'smoke-step', ref: VERSION, strategy: 'blue-green', startedBy: 'tester', phase: 'deployment', previousVersion: null });
    const withVersion = { ...release, version: VERSION };
    const smoke: SmokeServices = { smokeTarget: (v) => ({ baseUrl: base, headers: { 'X-CC-Version': v, 'X-CC-Pin-Token': PIN } }), smokeInvite: invite };
    const ctx = createContext({ store: pool, config, envName: 'smoke', release: withVersion, actor: 'tester', services: { ...runServices(), smoke } });
    const result = await stepImpl('smoke').reconcile(ctx, step);
    assert.equal(result.status, 'done', result.reason);
    assert.match(result.reason, /^10\/10 checks passed in \d+\.\d s$/);
    const rows = await pool.query('SELECT count(*)::int AS n, bool_and(ok) AS ok FROM smoke_results WHERE release_id = $1', [release.id]);
    assert.deepEqual(rows.rows[0], { n: 10, ok: true });

    const bare = createContext({ store: pool, config, envName: 'smoke', release: withVersion, actor: 'tester', services: runServices() });
    const missing = await stepImpl('smoke').reconcile(bare, step);
    assert.equal(missing.status, 'fail');
    assert.match(missing.reason, /services\.smoke/);

    const badCtx = createContext({ store: pool, config, envName: 'smoke', release: withVersion, actor: 'tester', services: { ...runServices(), smoke: { ...smoke, smokeInvite: async () => 'NOPE-NOPE' } } });
    const failed = await stepImpl('smoke').reconcile(badCtx, step);
    assert.equal(failed.status, 'fail');
    assert.match(failed.reason, /^smoke check signup failed: POST \/api\/auth\/signup: expected 201, got 403 invalid_invite.*; 2\/10 checks passed/);
  });
});
