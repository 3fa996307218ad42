import { fail, type StepResult } from '../engine/step-result.js';
import { reconcileBlueGreen } from './blue-green.js';
import { reconcileCanary } from './canary.js';
import { reconcileRolling } from './rolling.js';
import type { DeployContext } from '../engine/deploy-context.js';

export type StrategyName = 'blue-green' | 'canary' | 'rolling';

/** Runs the release's strategy (chosen at deploy time, persisted on the release). */
export function reconcileStrategy(ctx: DeployContext, stepId: string): Promise<StepResult> {
  const strategy = ctx.release.strategy as StrategyName;
  switch (strategy) {
    case 'blue-green': return reconcileBlueGreen(ctx);
    case 'canary': return reconcileCanary(ctx, stepId);
    case 'rolling': return reconcileRolling(ctx);
    default: return Promise.resolve(fail(`unknown strategy ${String(strategy)}`));
  }
}
