import type { Phase, PlanStep, RolloutConfig } from '../config/index.js';

export interface ResolvedStep {
  phase: Phase;
  step: PlanStep;
  /** Position in the environment's plan, 0-based, for progress (X%). */
  index: number;
}

/** The plan as one environment runs it: phases in order, steps filtered by `only`. */
export function resolvePlan(cfg: RolloutConfig, envName: string): ResolvedStep[] {
  const out: ResolvedStep[] = [];
  for (const phase of cfg.plan) {
    for (const step of phase.steps) {
      if (step.only && !step.only.includes(envName)) continue;
      out.push({ phase: phase.phase, step, index: out.length });
    }
  }
  return out;
}

export function stepLabel(s: PlanStep): string {
  return s.kind === 'automated' ? s.type : s.kind === 'hook' ? (s.run ? 'hook: shell' : 'hook: webhook') : 'manual sign-off';
}
