import type { PlanStep, StepType } from '../config/index.js';
import type { RolloutContext, RunServices } from './context.js';
import { fail, type StepResult } from './step-result.js';

/** One built-in step type: an idempotent reconcile. */
export interface StepImpl<S extends RunServices = RunServices> {
  /** Called repeatedly until it returns done, skipped or fail. Must be safe to re-run after a crash. */
  reconcile(ctx: RolloutContext<S>, step: Extract<PlanStep, { kind: 'automated' }>): Promise<StepResult>;
}

const registry = new Map<StepType, StepImpl<never>>();

export function registerStep<S extends RunServices>(type: StepType, impl: StepImpl<S>): void {
  registry.set(type, impl as StepImpl<never>);
}

export function isImplemented(type: StepType): boolean {
  return registry.has(type);
}

/** A placeholder never passes silently: it fails with the reason it is missing. */
export function stepImpl<S extends RunServices>(type: StepType): StepImpl<S> {
  const impl = registry.get(type);
  if (impl) return impl as unknown as StepImpl<S>;
  return {
    reconcile: async () => fail(`step type ${type} is not implemented`),
  };
}
