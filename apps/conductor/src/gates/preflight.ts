import { resolvePlan } from '../plan/resolve.js';
import { GATE_OF_STEP, runGate } from './index.js';
import { judge, recordGate, type GateVerdict } from './record.js';
import type { GateInput, GateName } from './types.js';

// `ccr preflight`: every gate of the environment's plan, run before a release exists. Gates are
// independent, so they run two at a time (the slow ones shell out); results keep plan order.

export interface PreflightReport {
  env: string;
  ref: string;
  at: string;
  ok: boolean;
  gates: GateVerdict[];
  /** Manual sign-offs of the plan: they happen during the deploy (ccr approve). */
  manual: Array<{ step: string; title: string }>;
}

export function gatesOfPlan(input: Pick<GateInput, 'envName'> & { config: Parameters<typeof resolvePlan>[0] }, withReviewHook: boolean): { gates: GateName[]; manual: PreflightReport['manual'] } {
  const plan = resolvePlan(input.config, input.envName);
  const gates: GateName[] = [];
  const manual: PreflightReport['manual'] = [];
  for (const { step } of plan) {
    if (step.kind === 'automated') {
      const g = GATE_OF_STEP[step.type];
      if (g && !gates.includes(g)) gates.push(g);
    } else if (step.kind === 'manual' && withReviewHook && /review/.test(step.id)) {
      // a configured review hook stands in for the manual review sign-off
      gates.push('review');
    } else if (step.kind === 'manual') {
      manual.push({ step: step.id, title: step.title });
    }
  }
  return { gates, manual };
}

export async function runPreflight(
  input: GateInput,
  gates: GateName[],
  o: { actor: string; manual?: PreflightReport['manual']; onGate?: (v: GateVerdict) => void },
): Promise<PreflightReport> {
  const verdicts: GateVerdict[] = new Array(gates.length);
  let next = 0;
  const worker = async () => {
    while (next < gates.length) {
      const i = next++;
      const v = judge(await runGate(gates[i]!, input), input.env);
      verdicts[i] = v;
      await recordGate(input.store, v, { releaseId: null, env: input.envName, ref: input.ref, actor: o.actor });
      o.onGate?.(v);
    }
  };
  await Promise.all([worker(), worker()]);
  return { env: input.envName, ref: input.ref, at: input.now().toISOString(), ok: verdicts.every((v) => !v.blocks), gates: verdicts, manual: o.manual ?? [] };
}
