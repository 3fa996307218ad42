import type { StepType } from '../config/schema.js';
import { artifactGate, rollbackReadinessGate } from './artifact.js';
import { ciGate } from './ci.js';
import { codeFreezeGate } from './code-freeze.js';
import { configGate } from './config-gate.js';
import { connectivityGate } from './connectivity.js';
import { monitoringGate } from './monitoring.js';
import { networkingGate } from './networking.js';
import { asWritten } from '../command/index.js';
import { runGateCommand, tail } from './run-command.js';
import { securityGate } from './security.js';
import { check, fromChecks, type Gate, type GateInput, type GateName, type GateOutcome } from './types.js';
import { windowGate } from './window.js';

// The gates by name, and which plan step type runs each. `ccr preflight` runs the gates its
// environment's plan contains, so it checks exactly what a deploy would.

const reviewGate: Gate = async (input) => {
  const hook = input.gates.review?.hook;
  if (!hook) return fromChecks([check('review', 'cannot-check', 'no review hook configured; the sign-off is the plan\'s manual step (ccr approve)')]);
  const r = await runGateCommand(hook.run, { cwd: input.repo, timeoutMs: hook.timeout, env: { CCR_REF: input.ref, CCR_ENV: input.envName } });
  const evidence = { command: asWritten(hook.run), exitCode: r.exitCode, durationMs: r.durationMs, output: tail(r.output) };
  return fromChecks([r.exitCode === 0 ? check('review', 'pass', `review hook exited 0: ${tail(r.output, 1)}`, evidence) : check('review', 'fail', `review hook ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}: ${tail(r.output, 1)}`, evidence)]);
};

export const GATES: Record<GateName, Gate> = {
  'code-freeze': codeFreezeGate,
  review: reviewGate,
  ci: ciGate,
  security: securityGate,
  artifact: artifactGate,
  'rollback-readiness': rollbackReadinessGate,
  config: configGate,
  connectivity: connectivityGate,
  networking: networkingGate,
  monitoring: monitoringGate,
  window: windowGate,
};

export const GATE_OF_STEP: Partial<Record<StepType, GateName>> = {
  'gate.code-freeze': 'code-freeze',
  'gate.ci': 'ci',
  'gate.security': 'security',
  'gate.artifact': 'artifact',
  'gate.rollback-readiness': 'rollback-readiness',
  'gate.config': 'config',
  'gate.connectivity': 'connectivity',
  'gate.networking': 'networking',
  'gate.monitoring': 'monitoring',
  'gate.window': 'window',
};

/** Runs one gate; an exception is a gate that could not check, with the error as its evidence. */
export async function runGate(name: GateName, input: GateInput): Promise<GateOutcome> {
  const started = Date.now();
  try {
    const r = await GATES[name](input);
    return { gate: name, ...r, durationMs: Date.now() - started };
  } catch (err) {
    return { gate: name, result: 'cannot-check', summary: `the gate raised an error: ${(err as Error).message}`, checks: [check(name, 'cannot-check', (err as Error).message)], durationMs: Date.now() - started };
  }
}
