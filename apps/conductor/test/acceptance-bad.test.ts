import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AccEnv, webhookListener, type Webhook } from './support/acceptance-env.js';
import { acceptanceRollout } from './support/acceptance-rollout.js';
import { startAppLoad } from './support/app-load.js';

// Issue 5's acceptance, end to end with real processes: `ccr up` runs v1 (router, supervisor,
// two API instances on a scratch database), real players load it through the router, and
// `ccr deploy` tries a v2 whose slot spins fail and a v2 that never gets ready.

describe('ccr deploy end to end: bad releases', { timeout: 900_000 }, () => {
  let e: AccEnv;
  let hook: Webhook;
  before(async () => {
    hook = await webhookListener();
    e = await AccEnv.create({ versions: ['v1', 'v2-bad', 'v2-never'], webhook: '', rollout: () => acceptanceRollout({ webhook: hook.url }) });
    const up = await e.ccr(['up', '--detach', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 900_000 });
  after(async () => {
    await e?.close();
    await hook?.close();
  });

  const load = (expectedErrors?: (v: string) => boolean) =>
    startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl, ...(expectedErrors ? { expectedErrors } : {}) });

  test('a bad v2 canary (slot spins 500 for 20%): analysis fails, traffic back on v1, exit 3, webhook told, audit has the numbers', async () => {
    const before = hook.received.length;
    const l = await load((v) => v === 'v2-bad');
    await sleep(1000);
    const r = await e.ccr(['deploy', 'v2-bad', '--strategy', 'canary', '--json']);
    const atEnd = { ...l.stats.byVersion };
    await sleep(1500);
    const stats = await l.stop();
    assert.equal(r.code, 3, `${r.stderr}\n${r.stdout}`);
    assert.equal((r.json!['release'] as { state: string }).state, 'rolled_back');
    assert.equal(stats.failed, 0, `v1 kept answering: ${stats.failures.join('\n')}`);
    assert.deepEqual(await e.routerState().then((s) => [s.api, s.web]), [{ v1: 10000 }, { v1: 10000 }]);
    assert.equal(stats.byVersion['v2-bad'] ?? 0, atEnd['v2-bad'] ?? 0, 'nothing reached v2-bad after the rollback');
    const texts = hook.received.slice(before).map((m) => JSON.stringify(m));
    assert.ok(texts.some((t) => /rollback/i.test(t) && /error/i.test(t)), texts.join('\n'));
    const audit = await e.ccr(['audit', '--json']);
    const entries = audit.json!['entries'] as Array<{ action: string; result: string; details: Record<string, unknown> }>;
    const why = entries.filter((a) => a.action === 'analysis.failed').at(-1)!;
    assert.match(why.result, /error rate \d+\.\d% \(\d+\/\d+\) vs stable \d+\.\d%/);
    const m = (why.details['measurements'] as Array<{ metric: string; value: number; threshold: number }>).find((x) => x.metric === 'error-rate')!;
    assert.ok(m.value > m.threshold, JSON.stringify(m));
    assert.ok(entries.some((a) => a.action === 'rollback.completed'));
  });

  test('a v2 that never becomes ready never receives traffic: exit 2, v1 serves throughout', async () => {
    const l = await load();
    const r = await e.ccr(['deploy', 'v2-never', '--strategy', 'blue-green', '--json']);
    const stats = await l.stop();
    assert.equal(r.code, 2, `${r.stderr}\n${r.stdout}`);
    assert.match(String((r.json!['release'] as { reason: string }).reason), /ready/);
    assert.equal(stats.byVersion['v2-never'] ?? 0, 0);
    assert.equal(stats.failed, 0, stats.failures.join('\n'));
    assert.deepEqual(await e.routerState().then((s) => [s.api, s.web]), [{ v1: 10000 }, { v1: 10000 }]);
  });
});
