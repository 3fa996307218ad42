import type { ControlRequest, LockInfo, Release, StepRecord } from '../store/index.js';

// The phase of a release and its reason, derived from recorded facts only (the release row,
// its step records, its pending control requests and the env lease), the way Argo Rollouts'
// CalculateRolloutPhase derives a rollout's. Nothing stores a phase; every reader (ccr status,
// ccr history, ccr watch, the HTTP API) calls this one function, so they cannot disagree.

export type ReleasePhase = 'Progressing' | 'Paused' | 'Waiting' | 'Degraded' | 'Healthy' | 'RolledBack' | 'Aborted' | 'Failed';

export interface PhaseView {
  phase: ReleasePhase;
  reason: string;
}

export function releasePhase(
  release: Pick<Release, 'id' | 'state' | 'reason' | 'step' | 'phase' | 'version' | 'ref'>,
  steps: ReadonlyArray<Pick<StepRecord, 'stepId' | 'kind' | 'status' | 'reason'>>,
  pendingControls: ReadonlyArray<Pick<ControlRequest, 'id' | 'action' | 'identity'>>,
  lease: Pick<LockInfo, 'state' | 'owner' | 'releaseId'> | null,
): PhaseView {
  switch (release.state) {
    case 'promoted': return { phase: 'Healthy', reason: `${release.version ?? release.ref} promoted: ${release.reason}` };
    case 'rolled_back': return { phase: 'RolledBack', reason: release.reason };
    case 'aborted': return { phase: 'Aborted', reason: release.reason };
    case 'failed': return { phase: 'Failed', reason: release.reason };
    case 'rolling_back': return { phase: 'Degraded', reason: release.reason };
    default: break;
  }
  // In flight from here on.
  const driving = lease?.state === 'held';
  const abort = pendingControls.find((c) => c.action === 'abort');
  if (abort) return { phase: 'Progressing', reason: `abort #${abort.id} requested by ${abort.identity}; ${driving ? `${lease.owner} is applying it` : 'waiting for a driver to apply it'}` };
  if (release.state === 'paused') {
    if (/^failed, automatic rollback disabled/.test(release.reason)) return { phase: 'Degraded', reason: release.reason };
    const resume = pendingControls.find((c) => c.action === 'resume');
    return { phase: 'Paused', reason: `${release.reason} at ${release.step ?? release.phase}${resume ? `; resume #${resume.id} requested by ${resume.identity}` : ': ccr resume to continue'}` };
  }
  if (!driving) {
    return { phase: 'Degraded', reason: `nobody drives it (no live lock holder) at ${release.step ?? release.phase}: a controller (ccr server) takes it over, or run ccr deploy --resume` };
  }
  const current = steps.find((s) => s.stepId === release.step);
  if (current?.status === 'waiting') {
    if (current.kind === 'manual') return { phase: 'Waiting', reason: `${current.stepId}: ${current.reason}` };
    // a timed canary pause is a pause the plan asked for (Argo counts it as Paused)
    if (/\bpausing\b/.test(current.reason)) return { phase: 'Paused', reason: `${current.stepId}: ${current.reason}` };
    return { phase: 'Progressing', reason: `${current.stepId}: ${current.reason}` };
  }
  return { phase: 'Progressing', reason: `${release.step ?? release.phase}: ${current?.reason && current.reason !== 'started' ? current.reason : release.reason}` };
}
