import type pg from 'pg';
import { listMeasurements } from '../analysis/record.js';
import { recordedTraffic } from '../rollback/traffic-reconcile.js';
import { pendingScaleDowns } from '../strategies/scale-down.js';
import { releasePhase, type PhaseView } from '../service/release-phase.js';
import { readCanary } from '../strategies/canary-state.js';
import {
  getEnvState, getSteps, inFlightRelease, latestRelease, liveControllers, lockStatus, pendingControlRequests,
  type ControllerInfo, type ControlRequest, type LockInfo, type Release,
} from '../store/index.js';

// The release half of `ccr status --json` (DESIGN §4): the environment's active and previous
// versions, the lock, and the current (or last) release with phase, step, state and reason.
// The runtime half (instances, router weights per service, maintenance) comes from
// runtime/status.ts; cli/commands/status.ts puts both side by side.

export interface ReleaseStatus {
  environment: string;
  activeVersion: string | null;
  previousVersion: string | null;
  lock: LockInfo | null;
  /** Live controllers (ccr server) serving the environment. */
  controllers: ControllerInfo[];
  /** Control requests not applied yet (the release's and the environment's). */
  pendingRequests: ControlRequest[];
  release: {
    id: string;
    version: string | null;
    ref: string;
    strategy: string;
    startedBy: string;
    phase: string;
    step: string | null;
    state: string;
    reason: string;
    /** The rollout phase and its reason (service/release-phase.ts), derived from the facts above. */
    status: PhaseView;
    inFlight: boolean;
    /** In flight with no live lock holder: a conductor died; run ccr deploy --resume or ccr abort. */
    unattended: boolean;
    canary: { step: number; weight: number } | null;
    /** The last split the conductor recorded per service (traffic_history), to set against the router's. */
    recordedTraffic: Record<string, Record<string, number>> | null;
    lastVerdicts: Array<{ metric: string; verdict: string; value: number | null; baseline: number | null; threshold: number | null; reason: string }>;
    createdAt: string;
    updatedAt: string;
    finishedAt: string | null;
  } | null;
  pendingScaleDowns: Array<{ version: string; due: string }>;
}

export async function releaseStatus(db: Pick<pg.Pool, 'query'>, env: string): Promise<ReleaseStatus> {
  const [state, lock, inFlight] = await Promise.all([getEnvState(db, env), lockStatus(db, env), inFlightRelease(db, env)]);
  const r: Release | null = inFlight ?? (await latestRelease(db, env));
  const canary = r ? readCanary(r) : null;
  const verdicts = r ? (await listMeasurements(db, r.id)).slice(-4) : [];
  const traffic = r ? await recordedTraffic(db, env, r.id) : null;
  const pending = await pendingControlRequests(db, { env, releaseId: inFlight?.id ?? null, envLevel: true });
  const controllers = await liveControllers(db, env);
  const status = r ? releasePhase(r, await getSteps(db, r.id), pending, lock) : null;
  return {
    environment: env,
    activeVersion: state.activeVersion,
    previousVersion: state.previousVersion,
    lock,
    controllers,
    pendingRequests: pending,
    release: r && status && {
      id: r.id, version: r.version, ref: r.ref, strategy: r.strategy, startedBy: r.startedBy,
      phase: r.phase, step: r.step, state: r.state, reason: r.reason, status,
      inFlight: Boolean(inFlight), unattended: Boolean(inFlight) && lock?.state !== 'held',
      canary: canary ? { step: canary.index, weight: canary.weight } : null,
      recordedTraffic: traffic ? (traffic.split as Record<string, Record<string, number>>) : null,
      lastVerdicts: verdicts.map((m) => ({ metric: m.metric, verdict: m.verdict, value: m.value, baseline: m.baseline, threshold: m.threshold, reason: m.reason })),
      createdAt: r.createdAt, updatedAt: r.updatedAt, finishedAt: r.finishedAt,
    },
    pendingScaleDowns: (await pendingScaleDowns(db, env)).map((p) => ({ version: p.version, due: p.due })),
  };
}

export function humanReleaseStatus(s: ReleaseStatus): string {
  const lines = [`releases of ${s.environment}: active ${s.activeVersion ?? 'none'}, previous ${s.previousVersion ?? 'none'}`];
  lines.push(`  lock: ${s.lock ? `${s.lock.state} by ${s.lock.owner} (pid ${s.lock.pid}, heartbeat ${s.lock.heartbeatAt})` : 'free'}`);
  lines.push(`  controller: ${s.controllers.length ? s.controllers.map((c) => `${c.id} (pid ${c.pid} on ${c.host})`).join(', ') : 'none serves this environment (ccr server, or ccr up locally)'}`);
  const r = s.release;
  if (r) {
    lines.push(`  ${r.inFlight ? 'current' : 'last'} release ${r.id}: ${r.version ?? r.ref} (${r.strategy}) ${r.state}, phase ${r.phase}${r.step ? `, step ${r.step}` : ''}`);
    lines.push(`    ${r.status.phase}: ${r.status.reason}`);
    if (r.canary) lines.push(`    canary: step ${r.canary.step + 1}, weight ${r.canary.weight}%`);
    if (r.recordedTraffic) lines.push(`    recorded traffic: ${Object.entries(r.recordedTraffic).map(([svc, w]) => `${svc} ${Object.entries(w).map(([v, p]) => `${v} ${p}%`).join(' / ')}`).join(', ')}`);
    for (const v of r.lastVerdicts) lines.push(`    verdict ${v.metric}: ${v.verdict} — ${v.reason}`);
    if (r.unattended) {
      lines.push(s.controllers.length
        ? '    nobody drives this release right now: a controller takes it over at its next pass'
        : '    NOBODY IS IN CHARGE of this release (its conductor is gone and no controller serves it): run `ccr deploy --resume` or `ccr abort`');
    }
  }
  for (const p of s.pendingRequests) lines.push(`  pending: ${p.action} #${p.id} by ${p.identity} (${p.channel}) since ${p.requestedAt}`);
  for (const p of s.pendingScaleDowns) lines.push(`  ${p.version} kept warm until ${p.due}`);
  return lines.join('\n');
}

/**
 * The release section for `ccr status` (best effort: a missing store or runtime is reported,
 * not thrown). Also stops old versions whose scale-down is due, so `ccr status` is one of the
 * processes that carry out a delayed scale-down.
 */
export async function releaseSection(envName?: string): Promise<ReleaseStatus | { error: string }> {
  try {
    const { openEnv } = await import('./open-env.js');
    const o = await openEnv(envName);
    try {
      try {
        const { reapScaleDowns } = await import('../strategies/scale-down.js');
        const { currentActor } = await import('../store/index.js');
        // with a controller serving the environment, the scale-down is its job
        const served = (await liveControllers(o.store, o.envName)).length > 0;
        if (!served && (await lockStatus(o.store, o.envName))?.state !== 'held') await reapScaleDowns(o.store, o.envName, o.target(), currentActor());
      } catch {
        // no runtime: nothing to scale down
      }
      return await releaseStatus(o.store, o.envName);
    } finally {
      await o.close();
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function humanReleaseSection(s: ReleaseStatus | { error: string }): string {
  return 'error' in s ? `releases: unavailable (${s.error})` : humanReleaseStatus(s);
}
