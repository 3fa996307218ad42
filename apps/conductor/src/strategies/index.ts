import type { StrategyName } from '../config/index.js';
import type { DeployContext } from '../engine/deploy-context.js';
import { fail, type StepResult } from '../engine/step-result.js';
import { reconcileBlueGreen } from './blue-green.js';
import { reconcileCanary } from './canary.js';
import { reconcileRolling } from './rolling.js';

/** Each strategy of config's STRATEGIES list, by name: a name without a file fails the typecheck. */
const RECONCILERS: Record<StrategyName, (ctx: DeployContext, stepId: string) => Promise<StepResult>> = {
  'blue-green': (ctx) => reconcileBlueGreen(ctx),
  canary: (ctx, stepId) => reconcileCanary(ctx, stepId),
  rolling: (ctx) => reconcileRolling(ctx),
};

/** Runs the release's strategy (chosen at deploy time, persisted on the release). */
export function reconcileStrategy(ctx: DeployContext, stepId: string): Promise<StepResult> {
  const reconcile = Object.hasOwn(RECONCILERS, ctx.release.strategy) ? RECONCILERS[ctx.release.strategy as StrategyName] : null;
  return reconcile ? reconcile(ctx, stepId) : Promise.resolve(fail(`unknown strategy ${ctx.release.strategy}`));
}
