// The Rollout object's status as the conductor's phase with a human reason (Argo's own
// phases: Progressing, Paused, Healthy, Degraded). Read from `kubectl get rollout -o json`.

export interface RolloutStatus {
  phase: 'progressing' | 'paused' | 'healthy' | 'degraded' | 'aborted' | 'unknown';
  reason: string;
  /** Index of the current canary step, null when not in a canary. */
  step: number | null;
  stepCount: number;
  /** Canary weight in percent as Argo last set it. */
  canaryWeight: number;
  stableHash: string | null;
  canaryHash: string | null;
}

interface RolloutJson {
  spec?: { strategy?: { canary?: { steps?: unknown[] } } };
  status?: {
    phase?: string;
    message?: string;
    abort?: boolean;
    currentStepIndex?: number;
    stableRS?: string;
    currentPodHash?: string;
    canary?: { weights?: { canary?: { weight?: number } } };
    pauseConditions?: Array<{ reason?: string }>;
  };
}

export function parseRolloutStatus(json: string): RolloutStatus {
  const r = JSON.parse(json) as RolloutJson;
  const st = r.status ?? {};
  const stepCount = r.spec?.strategy?.canary?.steps?.length ?? 0;
  const step = typeof st.currentStepIndex === 'number' ? st.currentStepIndex : null;
  const canaryWeight = st.canary?.weights?.canary?.weight ?? 0;
  const base = { step, stepCount, canaryWeight, stableHash: st.stableRS ?? null, canaryHash: st.currentPodHash ?? null };
  const where = step === null ? '' : ` at step ${step}/${stepCount}`;
  if (st.abort) return { ...base, phase: 'aborted', reason: `aborted${where}: ${st.message ?? 'traffic is back on stable'}` };
  switch (st.phase) {
    case 'Healthy':
      return { ...base, phase: 'healthy', reason: `healthy: stable ${st.stableRS ?? '?'} serves all traffic` };
    case 'Paused': {
      const why = (st.pauseConditions ?? []).map((p) => p.reason).filter(Boolean).join(', ') || st.message || 'paused';
      return { ...base, phase: 'paused', reason: `paused${where} (canary ${canaryWeight}%): ${why}` };
    }
    case 'Degraded':
      return { ...base, phase: 'degraded', reason: `degraded${where}: ${st.message ?? 'no message'}` };
    case 'Progressing':
      return { ...base, phase: 'progressing', reason: `progressing${where} (canary ${canaryWeight}%)${st.message ? `: ${st.message}` : ''}` };
    default:
      return { ...base, phase: 'unknown', reason: `rollout has no recognised phase (${st.phase ?? 'none'})` };
  }
}
