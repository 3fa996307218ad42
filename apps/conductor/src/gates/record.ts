import type pg from 'pg';
import type { EnvironmentConfig } from '../config/schema.js';
import type { GateOutcome } from './types.js';

// "Cannot check" blocks unless the environment's acceptCannotCheck names the gate (or each of
// its unchecked checks, as gate.check) with a reason; the acceptance is then stored with the
// gate's result, so the release record shows who let what through and why.

export interface GateVerdict extends GateOutcome {
  /** Whether this gate stops the deploy. */
  blocks: boolean;
  acceptance: { reason: string } | null;
}

export function judge(outcome: GateOutcome, env: EnvironmentConfig): GateVerdict {
  if (outcome.result === 'pass') return { ...outcome, blocks: false, acceptance: null };
  if (outcome.result === 'fail') return { ...outcome, blocks: true, acceptance: null };
  const find = (name: string) => env.acceptCannotCheck.find((a) => a.gate === name || a.gate === `gate.${name}`);
  const whole = find(outcome.gate);
  if (whole) return { ...outcome, blocks: false, acceptance: { reason: whole.reason } };
  // or check by check, e.g. "security.dependency-audit": then SAST still has to run
  const unchecked = outcome.checks.filter((c) => c.result === 'cannot-check').map((c) => find(`${outcome.gate}.${c.name}`));
  if (unchecked.length && unchecked.every(Boolean)) {
    return { ...outcome, blocks: false, acceptance: { reason: [...new Set(unchecked.map((a) => a!.reason))].join('; ') } };
  }
  return { ...outcome, blocks: true, acceptance: null };
}

type Queryable = Pick<pg.Pool, 'query'>;

export async function recordGate(
  db: Queryable,
  v: GateVerdict,
  o: { releaseId: string | null; env: string; ref: string; actor: string },
): Promise<void> {
  await db.query(
    `INSERT INTO gate_results (release_id, env, ref, gate, result, accepted, acceptance_reason, summary, evidence, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [o.releaseId, o.env, o.ref, v.gate, v.result, v.acceptance !== null, v.acceptance?.reason ?? null, v.summary, { checks: v.checks, durationMs: v.durationMs }, o.actor],
  );
}

/** A gate's result as the store keeps it: what the release record and the CLI show. */
export interface StoredGateResult {
  gate: string;
  result: string;
  accepted: boolean;
  acceptanceReason: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  actor: string;
  at: string;
}

export async function gateResultsOf(db: Queryable, releaseId: string): Promise<StoredGateResult[]> {
  const r = await db.query('SELECT * FROM gate_results WHERE release_id = $1 ORDER BY id', [releaseId]);
  return r.rows.map((row) => ({
    gate: row.gate, result: row.result, accepted: row.accepted, acceptanceReason: row.acceptance_reason ?? null,
    summary: row.summary, evidence: row.evidence ?? {}, actor: row.actor, at: (row.at as Date).toISOString(),
  }));
}
