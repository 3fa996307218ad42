import type pg from 'pg';
import type { EnvironmentConfig, RolloutConfig } from '../config/schema.js';
import type { GatesConfig } from '../config/gates-schema.js';
import type { CcPaths } from '../paths.js';
import { redactDeep, redactKnown } from '../command/index.js';

// What every gate returns: pass, fail or cannot-check, each with its evidence. A gate made of
// several checks (the security gate: audit, SAST, SBOM) keeps each check's own result, and its
// overall result is the worst of them: fail > cannot-check > pass.

export type GateResult = 'pass' | 'fail' | 'cannot-check';

export const GATE_NAMES = [
  'code-freeze', 'review', 'ci', 'security', 'artifact', 'rollback-readiness',
  'config', 'connectivity', 'networking', 'monitoring', 'window',
] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface CheckOutcome {
  name: string;
  result: GateResult;
  /** One human line: what was found (never a secret value). */
  detail: string;
  evidence?: Record<string, unknown>;
}

export interface GateOutcome {
  gate: GateName;
  result: GateResult;
  summary: string;
  checks: CheckOutcome[];
  durationMs: number;
}

/** What a gate may look at. Built by `ccr preflight` or by the gate steps of a release. */
export interface GateInput {
  envName: string;
  env: EnvironmentConfig;
  gates: GatesConfig;
  /** The release candidate as given (tag, branch or commit). */
  ref: string;
  /** The git repository holding the ref (also where repository-relative files are read). */
  repo: string;
  artifactsDir: string;
  /** Where local state lives (given by the caller: no gate looks it up itself). */
  paths: CcPaths;
  store: pg.Pool;
  now(): Date;
  /** `--outside-window "<reason>"`: deploy outside every window, with this reason recorded. */
  outsideWindow?: string;
  /** rollout.yaml's declared secrets (the configuration gate resolves the environment's). */
  secrets?: RolloutConfig['secrets'];
}

export type Gate = (input: GateInput) => Promise<Omit<GateOutcome, 'gate' | 'durationMs'>>;

/** A check's outcome; its detail and evidence never hold a known secret (command/known-secrets.ts). */
export const check = (name: string, result: GateResult, detail: string, evidence?: Record<string, unknown>): CheckOutcome => ({
  name, result, detail: redactKnown(detail), ...(evidence ? { evidence: redactDeep(evidence) } : {}),
});

export function worst(results: GateResult[]): GateResult {
  if (results.includes('fail')) return 'fail';
  if (results.includes('cannot-check')) return 'cannot-check';
  return 'pass';
}

/** A gate result from its checks: the worst result, summarised by the checks that caused it. */
export function fromChecks(checks: CheckOutcome[]): Omit<GateOutcome, 'gate' | 'durationMs'> {
  const result = worst(checks.map((c) => c.result));
  const lead = result === 'pass' ? checks : checks.filter((c) => c.result === result);
  return { result, summary: lead.map((c) => `${c.name}: ${c.detail}`).join('; '), checks };
}

/** Races a promise against a timeout, so no check of a dead host hangs the preflight. */
export async function withTimeout<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
