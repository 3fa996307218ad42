import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { releasePhase } from '../src/service/release-phase.js';
import {
  claimControlRequest, createRelease, getControlRequest, listAudit, mergeReleaseState, pendingControlRequests, recordControlRequest, audit,
  updateRelease, getRelease,
} from '../src/store/index.js';
import { useScratchStore } from './support/scratch-db.js';

// The store half of the controller, against a real PostgreSQL: control requests recorded by
// concurrent clients (exactly one pending, the others rejected naming it), claimed exactly
// once, release data merged in SQL, audit rows with identity and channel; and the one phase
// function over a table of recorded facts.

const alice = { identity: 'os:alice@laptop', channel: 'cli' as const };
const bob = { identity: 'user:bob', channel: 'api' as const };

describe('control requests and release state in the store', () => {
  const scratch = useScratchStore();

  const newRelease = (env: string) => createRelease(scratch.store, { env, ref: 'v2', strategy: 'canary', startedBy: 'os:alice@laptop', phase: 'deployment', previousVersion: 'v1' });

  test('of ten course-changing requests sent at once, exactly one is pending; the others are recorded as rejected naming it', async () => {
    const r = await newRelease('c1');
    const actions = ['promote', 'abort', 'pause', 'promote', 'abort', 'pause', 'abort', 'promote', 'abort', 'pause'] as const;
    const out = await Promise.all(actions.map((action, i) => recordControlRequest(scratch.store, { env: 'c1', releaseId: r.id, action, params: {} }, i % 2 ? alice : bob)));
    const pending = out.filter((o) => o.conflict === null);
    assert.equal(pending.length, 1);
    const first = pending[0]!.request;
    for (const o of out.filter((x) => x.conflict)) {
      assert.equal(o.request.state, 'rejected');
      assert.equal(o.conflict!.id, first.id);
      assert.match(o.request.result, new RegExp(`^conflict: ${first.action} #${first.id} by ${first.identity.replace('.', '\\.')} at .* is still pending$`));
      assert.ok(o.request.decidedAt);
    }
    const rows = await scratch.store.query('SELECT count(*)::int AS n FROM control_requests WHERE release_id = $1', [r.id]);
    assert.equal(rows.rows[0].n, 10, 'every request stays in the record');
    // approvals do not change the course: they are never a conflict
    const approve = await recordControlRequest(scratch.store, { env: 'c1', releaseId: r.id, action: 'approve', params: { step: 'review', note: 'ok' } }, alice);
    assert.equal(approve.conflict, null);
  });

  test('a request is claimed exactly once, however many drivers try', async () => {
    const r = await newRelease('c2');
    const { request } = await recordControlRequest(scratch.store, { env: 'c2', releaseId: r.id, action: 'pause', params: {} }, alice);
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimControlRequest(scratch.store, request.id, 'paused')));
    assert.equal(claims.filter(Boolean).length, 1);
    const after = await getControlRequest(scratch.store, request.id);
    assert.deepEqual([after?.state, after?.result], ['applied', 'paused']);
    assert.deepEqual(await pendingControlRequests(scratch.store, { env: 'c2', releaseId: r.id }), []);
  });

  test('requests left pending by a release that ended are closed when the next one is recorded', async () => {
    const r = await newRelease('c3');
    const { request } = await recordControlRequest(scratch.store, { env: 'c3', releaseId: r.id, action: 'promote', params: {} }, alice);
    await updateRelease(scratch.store, r.id, { state: 'aborted', reason: 'test' });
    const r2 = await newRelease('c3');
    const next = await recordControlRequest(scratch.store, { env: 'c3', releaseId: r2.id, action: 'abort', params: {} }, bob);
    assert.equal(next.conflict, null, 'the stale promote no longer blocks');
    assert.match((await getControlRequest(scratch.store, request.id))!.result, /the release ended \(aborted\) before it was applied/);
  });

  test('release data is merged in SQL: two writers of different keys and fields lose nothing; null clears a field', async () => {
    const r = await newRelease('c4');
    await Promise.all([
      updateRelease(scratch.store, r.id, { data: { trafficMoved: true } }),
      mergeReleaseState(scratch.store, r.id, 'canary', { index: 1, weight: 25, pauseUntil: 123 }),
      updateRelease(scratch.store, r.id, { data: { stable: 'v1' } }),
    ]);
    await Promise.all([mergeReleaseState(scratch.store, r.id, 'canary', { promote: { by: 'os:bob', requestId: 7 } }), mergeReleaseState(scratch.store, r.id, 'canary', { pauseUntil: null, index: 2 })]);
    const data = (await getRelease(scratch.store, r.id))!.data;
    assert.deepEqual(data, { trafficMoved: true, stable: 'v1', canary: { index: 2, weight: 25, promote: { by: 'os:bob', requestId: 7 } } });
  });

  test('every audit row names the identity and the channel; the actor column keeps the bare name', async () => {
    await audit(scratch.store, { actor: alice, env: 'c5', action: 'x', result: 'ok' });
    await audit(scratch.store, { actor: bob, env: 'c5', action: 'y', result: 'ok' });
    await audit(scratch.store, { actor: 'legacy@host', env: 'c5', action: 'z', result: 'ok' });
    const rows = (await listAudit(scratch.store, { env: 'c5' })).map((a) => [a.actor, a.identity, a.channel]);
    assert.deepEqual(rows, [['alice@laptop', 'os:alice@laptop', 'cli'], ['user:bob', 'user:bob', 'api'], ['legacy@host', 'os:legacy@host', 'cli']]);
  });
});

describe('releasePhase: one function from recorded facts', () => {
  const base = { id: 'r-1', state: 'running' as const, reason: 'Backend with the strategy', step: 'deploy-backend', phase: 'deployment', version: 'v2', ref: 'v2' };
  const held = { state: 'held' as const, owner: 'controller:vm:1', releaseId: 'r-1' };
  const step = (status: 'running' | 'waiting' | 'done', reason: string, kind = 'automated') => ({ stepId: 'deploy-backend', kind, status, reason });
  const cases: Array<[string, Parameters<typeof releasePhase>, string, RegExp]> = [
    ['promoted', [{ ...base, state: 'promoted', reason: 'all steps done' }, [], [], null], 'Healthy', /v2 promoted: all steps done/],
    ['rolled back', [{ ...base, state: 'rolled_back', reason: 'deploy-backend: analysis failed' }, [], [], null], 'RolledBack', /analysis failed/],
    ['aborted', [{ ...base, state: 'aborted', reason: 'aborted by os:alice' }, [], [], null], 'Aborted', /aborted by os:alice/],
    ['failed', [{ ...base, state: 'failed', reason: 'gate failed' }, [], [], null], 'Failed', /gate failed/],
    ['rolling back', [{ ...base, state: 'rolling_back', reason: 'rolling back: x' }, [], [], held], 'Degraded', /rolling back: x/],
    ['paused by a person', [{ ...base, state: 'paused', reason: 'paused by os:alice' }, [], [], held], 'Paused', /paused by os:alice at deploy-backend: ccr resume/],
    ['paused after a failure', [{ ...base, state: 'paused', reason: 'failed, automatic rollback disabled: boom' }, [], [], held], 'Degraded', /automatic rollback disabled/],
    ['nobody drives', [base, [step('running', 'started')], [], { ...held, state: 'stale' }], 'Degraded', /nobody drives it/],
    ['abort pending', [base, [], [{ id: 9, action: 'abort', identity: 'user:bob' }], held], 'Progressing', /abort #9 requested by user:bob; controller:vm:1 is applying it/],
    ['waiting for a sign-off', [{ ...base, step: 'deploy-backend' }, [step('waiting', 'waiting for a person: ccr approve x', 'manual')], [], held], 'Waiting', /ccr approve/],
    ['a timed canary pause', [base, [step('waiting', 'canary step 1/3: 25% on v2, pausing 60s')], [], held], 'Paused', /pausing 60s/],
    ['an analysis running', [base, [step('waiting', 'canary step 2/3: 25% on v2; analysis 1/2')], [], held], 'Progressing', /analysis 1\/2/],
    ['a step running', [base, [step('running', 'started')], [], held], 'Progressing', /deploy-backend: Backend with the strategy/],
  ];
  for (const [name, args, phase, reason] of cases) {
    test(name, () => {
      const v = releasePhase(...args);
      assert.equal(v.phase, phase);
      assert.match(v.reason, reason);
    });
  }
});
