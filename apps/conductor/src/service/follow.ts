import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressSink } from '../engine/context.js';
import type { RunOutcome } from '../engine/executor.js';
import { CcrError } from '../errors.js';
import { resolvePlan } from '../plan/resolve.js';
import { getRelease, getSteps, IN_FLIGHT, type Release } from '../store/index.js';
import type { OpenEnv } from './open-env.js';

// Following a release somebody else drives (the controller): its progress is read from the
// store (release, steps, traffic_history, measurements) and rendered as the same events a
// driving CLI prints, until it ends. Following changes nothing: a follower killed with -9, or
// detached with Ctrl-C, leaves the release going on.

const POLL_MS = 200;

/** The exit code of an ended release (DESIGN §4): recorded by the engine; derived for older rows. */
export function exitCodeOf(r: Release): RunOutcome['exitCode'] {
  const recorded = (r.data['outcome'] as { exitCode?: number } | undefined)?.exitCode;
  if (recorded === 0 || recorded === 1 || recorded === 2 || recorded === 3) return recorded;
  if (r.state === 'promoted') return 0;
  if (r.state === 'rolled_back') return 3;
  if (r.state === 'aborted') return r.data['trafficMoved'] === true ? 3 : 2;
  if (r.state === 'failed') return /^(conductor error|rollback failed)/.test(r.reason) ? 1 : 2;
  return 1;
}

export type FollowEnd = RunOutcome & { detached: boolean };

/**
 * Streams the release's progress until it ends (or, paused after a failure with automatic
 * rollback off, needs a person), or `signal` detaches. Returns how it ended.
 */
export async function followRelease(o: OpenEnv, releaseId: string, progress: ProgressSink, signal?: AbortSignal): Promise<FollowEnd> {
  const plan = resolvePlan(o.config, o.envName);
  const seenSteps = new Map<string, string>();
  let lastTraffic = 0;
  let lastMeasurement = 0;
  let lastState = '';
  // Start from now for traffic and verdicts: history is what `ccr report` is for.
  const t = await o.store.query('SELECT COALESCE(max(id), 0)::bigint AS t FROM traffic_history WHERE release_id = $1', [releaseId]);
  lastTraffic = Number(t.rows[0].t);
  const m = await o.store.query('SELECT COALESCE(max(id), 0)::bigint AS m FROM measurements WHERE release_id = $1', [releaseId]);
  lastMeasurement = Number(m.rows[0].m);
  for (;;) {
    const r = await getRelease(o.store, releaseId);
    if (!r) throw new CcrError('not_found', `no release ${releaseId}`);
    for (const s of await getSteps(o.store, releaseId)) {
      const key = `${s.status}|${s.reason}`;
      if (seenSteps.get(s.stepId) === key) continue;
      seenSteps.set(s.stepId, key);
      const rs = plan.find((p) => p.step.id === s.stepId);
      progress({ type: 'step', phase: s.phase, step: s.stepId, title: rs?.step.title ?? s.stepId, status: s.status, reason: s.reason, index: rs?.index ?? 0, total: plan.length });
    }
    const tr = await o.store.query('SELECT id, service, weights FROM traffic_history WHERE release_id = $1 AND id > $2 ORDER BY id', [releaseId, lastTraffic]);
    for (const row of tr.rows) {
      lastTraffic = Number(row.id);
      progress({ type: 'weights', service: row.service, weights: row.weights });
    }
    const ms = await o.store.query('SELECT * FROM measurements WHERE release_id = $1 AND id > $2 ORDER BY id', [releaseId, lastMeasurement]);
    for (const row of ms.rows) {
      lastMeasurement = Number(row.id);
      progress({ type: 'verdict', analysis: row.analysis, metric: row.metric, verdict: row.verdict, value: row.value, baseline: row.baseline, threshold: row.threshold, sampleSize: row.sample_size, reason: (row.details as { reason?: string })?.reason ?? '' });
    }
    if (r.state !== lastState) {
      lastState = r.state;
      if (r.state === 'paused' || r.state === 'rolling_back') progress({ type: 'log', level: 'warn', message: `${r.state.replace('_', ' ')}: ${r.reason}` });
    }
    if (!IN_FLIGHT.includes(r.state)) return { state: r.state, exitCode: exitCodeOf(r), reason: r.reason, detached: false };
    if (r.state === 'paused' && /^failed, automatic rollback disabled/.test(r.reason)) return { state: r.state, exitCode: 1, reason: r.reason, detached: false };
    if (signal?.aborted) return { state: r.state, exitCode: 1, reason: `detached at ${r.step ?? r.phase}; the release goes on`, detached: true };
    await sleep(POLL_MS, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
}
