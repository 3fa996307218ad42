import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { codeFreezeGate } from '../src/gates/code-freeze.js';
import { activeFreeze, endFreeze, startFreeze } from '../src/gates/freeze-store.js';
import { openStorePool } from '../src/store/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { git, tinyRepo, write } from './fixtures/gates/tiny-repo.js';
import { scratchDatabase } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Code freeze: the release candidate is a tag on the release branch, the working tree is clean
// (asked of git), and during a freeze only its candidate or a hotfix tag passes. The freeze
// commands run as the real CLI against the store.

const dir = tempDir('ccr-freeze-');
const repo = tinyRepo(join(dir, 'repo'));
let db: Awaited<ReturnType<typeof scratchDatabase>>;
let store: pg.Pool;

const gate = (ref: string, gates: Record<string, unknown> = { releaseBranch: 'main' }) => codeFreezeGate(gateInput({ ref, repo, store, gates }));
const result = async (ref: string, gates?: Record<string, unknown>) => Object.fromEntries((await gate(ref, gates)).checks.map((c) => [c.name, c.result]));

before(async () => {
  db = await scratchDatabase('ccr_freeze');
  store = await openStorePool(db.url);
  // a feature branch with its own tag, and a hotfix tag on main
  git(repo, 'checkout', '-q', '-b', 'feature');
  write(repo, 'apps/api/src/extra.ts', 'export const extra = 1;\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'feature work');
  git(repo, 'tag', 'v1.1.0-rc.1');
  git(repo, 'checkout', '-q', 'main');
  git(repo, 'tag', 'hotfix-1.0.1');
  git(repo, 'tag', 'v1.0.1');
});
after(async () => {
  await store.end();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('code freeze gate', () => {
  test('the frozen release candidate, a tag on the release branch, from a clean tree: pass', async () => {
    await startFreeze(store, { rcTag: 'v1.0.0-rc.1', reason: 'release 1.0 stabilisation', actor: 'test' });
    try {
      const out = await gate('v1.0.0-rc.1');
      assert.equal(out.result, 'pass', out.summary);
      assert.match(out.summary, /clean-tree: the working tree is clean; release-candidate: v1.0.0-rc.1 \([0-9a-f]{12}\) is on main; freeze: v1.0.0-rc.1 is the frozen release candidate/);
      // during the freeze: another tag is refused, a hotfix tag passes
      assert.deepEqual(await result('v1.0.1'), { 'clean-tree': 'pass', 'release-candidate': 'pass', freeze: 'fail' });
      assert.match((await gate('v1.0.1')).summary, /a code freeze is active for v1.0.0-rc.1; only it or a hotfix tag may deploy, not v1.0.1/);
      assert.equal((await gate('hotfix-1.0.1')).result, 'pass');
    } finally {
      await endFreeze(store, { actor: 'test' });
    }
  });

  test('a dirty working tree fails, listing the changes', async () => {
    await startFreeze(store, { rcTag: 'v1.0.0-rc.1', reason: 'release 1.0 stabilisation', actor: 'test' });
    write(repo, 'apps/api/src/sum.ts', 'export const sum = (a: number, b: number): number => a - b;\n');
    writeFileSync(join(repo, 'notes.txt'), 'scratch\n');
    try {
      const out = await gate('v1.0.0-rc.1');
      assert.equal(out.result, 'fail');
      assert.match(out.summary, /clean-tree: the working tree has 2 uncommitted change\(s\): M apps\/api\/src\/sum.ts, \?\? notes.txt/);
    } finally {
      git(repo, 'checkout', '--', 'apps/api/src/sum.ts');
      rmSync(join(repo, 'notes.txt'));
      await endFreeze(store, { actor: 'test' });
    }
  });

  test('a tag off the release branch, a branch name, and no freeze at all fail', async () => {
    await startFreeze(store, { rcTag: 'v1.1.0-rc.1', reason: 'freeze the feature candidate', actor: 'test' });
    try {
      const off = await gate('v1.1.0-rc.1');
      assert.equal(off.result, 'fail');
      assert.match(off.summary, /release-candidate: v1.1.0-rc.1 \([0-9a-f]{12}\) is not on the release branch main/);
    } finally {
      await endFreeze(store, { actor: 'test' });
    }
    assert.match((await gate('feature')).summary, /feature is not a tag/);
    const none = await gate('v1.0.0-rc.1');
    assert.equal(none.result, 'fail');
    assert.match(none.summary, /no code freeze is active; start one for the release candidate: ccr freeze start v1.0.0-rc.1/);
    assert.equal((await gate('v1.0.0-rc.1', { releaseBranch: 'main', freezeRequired: false })).result, 'pass');
    // without a configured release branch the tag cannot be placed
    assert.equal((await result('v1.0.0-rc.1', { freezeRequired: false }))['release-candidate'], 'cannot-check');
  });

  test('one freeze at a time', async () => {
    await startFreeze(store, { rcTag: 'v1.0.0-rc.1', reason: 'release 1.0 stabilisation', actor: 'test' });
    await assert.rejects(startFreeze(store, { rcTag: 'v1.0.1', reason: 'a second one', actor: 'test' }), /already active for v1.0.0-rc.1/);
    await endFreeze(store, { actor: 'test' });
    assert.equal(await activeFreeze(store), null);
  });
});

describe('ccr freeze', () => {
  const rollout = join(dir, 'rollout.yaml');
  writeFileSync(rollout, 'version: 1\ndefaultEnvironment: staging\nenvironments:\n  staging:\n    target: { type: local }\nplan:\n  - phase: pre-deployment\n    steps:\n      - { id: code-freeze, kind: automated, type: gate.code-freeze, title: Code freeze }\n');
  const ccr = (...args: string[]) => run('node', [CCR_BIN, ...args], { env: { ...process.env, CCR_CONFIG: rollout, CCR_DATABASE_URL: db.url, CCR_PROJECT_ROOT: repo, CCR_HOME: join(dir, 'home'), CCR_ACTOR: 'rm@example' } });

  test('start, status, end: audited, and a branch cannot be frozen', async () => {
    const started = await ccr('freeze', 'start', 'v1.0.0-rc.1', '--reason', 'release 1.0 stabilisation', '--json');
    assert.equal(started.code, 0, started.stderr + started.stdout);
    assert.equal((JSON.parse(started.stdout) as { freeze: { rcTag: string } }).freeze.rcTag, 'v1.0.0-rc.1');
    const status = await ccr('freeze', 'status');
    assert.match(status.stdout, /^code freeze active for v1.0.0-rc.1 since .* by rm@example: release 1.0 stabilisation/);
    const branch = await ccr('freeze', 'start', 'feature', '--reason', 'not a tag', '--json');
    assert.notEqual(branch.code, 0);
    assert.match(branch.stdout, /feature is not a tag/);
    const ended = await ccr('freeze', 'end', '--reason', 'released');
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /code freeze of v1.0.0-rc.1 ended by rm@example/);
    assert.equal(JSON.parse((await ccr('freeze', 'status', '--json')).stdout).active, false);
    const audit = await store.query("SELECT actor, action, details FROM audit_log WHERE action LIKE 'freeze.%' AND actor = 'rm@example' ORDER BY id");
    assert.deepEqual(audit.rows.map((r) => r.action), ['freeze.start', 'freeze.end']);
    assert.equal(audit.rows[0].details.reason, 'release 1.0 stabilisation');
  });
});
