import type { PlanStep, StepType } from '../config/index.js';
import type { RolloutContext, RunServices } from './context.js';
import { fail, type StepResult } from './step-result.js';

/** One built-in step type: an idempotent reconcile. */
export interface StepImpl<S extends RunServices = RunServices> {
  /** Called repeatedly until it returns done, skipped or fail. Must be safe to re-run after a crash. */
  reconcile(ctx: RolloutContext<S>, step: Extract<PlanStep, { kind: 'automated' }>): Promise<StepResult>;
  /** Does this step move user traffic? Failures after such a step trigger automatic rollback. */
  readonly movesTraffic?: boolean;
}

/** Which issue delivers a step type that is not implemented yet (shown by `ccr plan`). */
export const PENDING_STEP_TYPES: Partial<Record<StepType, string>> = {
  'gate.code-freeze': 'pre-deployment gates (issue 7)',
  'gate.ci': 'pre-deployment gates (issue 7)',
  'gate.security': 'pre-deployment gates (issue 7)',
  'gate.config': 'pre-deployment gates (issue 7)',
  'gate.connectivity': 'pre-deployment gates (issue 7)',
  'gate.networking': 'pre-deployment gates (issue 7)',
  'gate.monitoring': 'pre-deployment gates (issue 7)',
  'gate.window': 'pre-deployment gates (issue 7)',
  'backup.create': 'backups (issue 6)',
  'backup.verify': 'backups (issue 6)',
  'migrate.lint': 'migration lint (issue 6)',
  'migrate.rehearse': 'migration rehearsal (issue 6)',
  hypercare: 'hypercare (issue 7)',
};

const registry = new Map<StepType, StepImpl<never>>();

export function registerStep<S extends RunServices>(type: StepType, impl: StepImpl<S>): void {
  registry.set(type, impl as StepImpl<never>);
  delete PENDING_STEP_TYPES[type];
}

export function isImplemented(type: StepType): boolean {
  return registry.has(type);
}

/** A placeholder never passes silently: it fails with the reason it is missing. */
export function stepImpl<S extends RunServices>(type: StepType): StepImpl<S> {
  const impl = registry.get(type);
  if (impl) return impl as unknown as StepImpl<S>;
  return {
    reconcile: async () => fail(`step type ${type} is not implemented yet${PENDING_STEP_TYPES[type] ? `: ${PENDING_STEP_TYPES[type]}` : ''}`),
  };
}
