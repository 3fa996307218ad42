import { setTimeout as sleep } from 'node:timers/promises';
import { resolvePlan, type ResolvedStep } from '../plan/resolve.js';
import { getSteps, rejectPendingOf, saveStep, type Release, type ReleaseState, type StepRecord } from '../store/index.js';
import { applyPendingControls } from './apply-control.js';
import { checkApproval } from './approvals.js';
import type { RolloutContext, RunServices } from './context.js';
import { runHook } from './hooks.js';
import { stepImpl } from './registry.js';
import { fail, type StepResult } from './step-result.js';

/** How a run ended, with the exit code of DESIGN §4. */
export interface RunOutcome {
  state: ReleaseState;
  exitCode: 0 | 1 | 2 | 3;
  reason: string;
}

/** What to do when a step fails: undo traffic (rollback) or just clean up new instances. */
export interface Recovery<S extends RunServices = RunServices> {
  /** Traffic moved: put every service back on the previous version, then stop the new one. */
  rollback(ctx: RolloutContext<S>, reason: string): Promise<void>;
  /** No traffic moved: stop anything the release started. */
  cleanup(ctx: RolloutContext<S>, reason: string): Promise<void>;
}

export class AbortRequested extends Error {
  constructor(readonly by: string) {
    super(`aborted by ${by}`);
  }
}

const trafficMoved = (r: Release) => r.data['trafficMoved'] === true;

async function reconcileOnce<S extends RunServices>(ctx: RolloutContext<S>, rs: ResolvedStep): Promise<StepResult> {
  const s = rs.step;
  try {
    if (s.kind === 'manual') return await checkApproval(ctx.store, ctx.release.id, s.id);
    if (s.kind === 'hook') return await runHook(ctx as RolloutContext, s);
    return await stepImpl<S>(s.type).reconcile(ctx, s);
  } catch (err) {
    if (err instanceof AbortRequested) throw err;
    return fail(`${s.id} raised an error: ${(err as Error).message}`);
  }
}

/** Applies pending control requests (control_requests, in order) and acts on a claimed abort. */
async function checkControl<S extends RunServices>(ctx: RolloutContext<S>, records: Map<string, StepRecord>): Promise<void> {
  const stepDone = (id: string) => ['done', 'skipped'].includes(records.get(id)?.status ?? '');
  await applyPendingControls(ctx as RolloutContext, stepDone);
  const abort = ctx.release.data['abort'] as { by?: string } | undefined;
  if (abort) throw new AbortRequested(abort.by ?? 'someone');
}

/** How long a paused release sleeps between looks at its control requests. */
const PAUSED_POLL_MS = 250;

/**
 * Runs (or resumes) a release: every step of the environment's plan in order, persisting after
 * each transition. Steps already done are skipped, so a resumed run continues where the
 * killed one stopped; the current step reconciles again, which is safe because it is idempotent.
 */
export async function runRelease<S extends RunServices>(ctx: RolloutContext<S>, recovery: Recovery<S>): Promise<RunOutcome> {
  const outcome = await runSteps(ctx, recovery);
  // Followers (ccr deploy/watch against a controller) read the exit code from the store.
  await ctx.update({ data: { outcome: { exitCode: outcome.exitCode, state: outcome.state } } });
  if (outcome.state !== 'paused') await rejectPendingOf(ctx.store, ctx.release.id, `the release ended (${outcome.state}) before it was applied`);
  return outcome;
}

async function runSteps<S extends RunServices>(ctx: RolloutContext<S>, recovery: Recovery<S>): Promise<RunOutcome> {
  const plan = resolvePlan(ctx.config, ctx.envName);
  const records = new Map((await getSteps(ctx.store, ctx.release.id)).map((r) => [r.stepId, r]));
  try {
    for (const rs of plan) {
      const prev = records.get(rs.step.id);
      if (prev && (prev.status === 'done' || prev.status === 'skipped')) continue;
      await ctx.update({ phase: rs.phase, step: rs.step.id, state: ctx.release.state === 'paused' ? 'paused' : 'running', reason: rs.step.title });
      const base = { releaseId: ctx.release.id, stepId: rs.step.id, phase: rs.phase, kind: rs.step.kind, type: rs.step.kind === 'automated' ? rs.step.type : null };
      await saveStep(ctx.store, { ...base, status: 'running', reason: 'started', attempt: true });
      let lastReason = '';
      for (;;) {
        await checkControl(ctx, records);
        if (ctx.release.state === 'paused') {
          if (lastReason !== 'paused') emitStep(ctx, rs, plan.length, 'paused', `${ctx.release.reason}: ccr resume to continue`);
          lastReason = 'paused';
          await sleep(PAUSED_POLL_MS, undefined, { signal: ctx.signal });
          continue;
        }
        const result = await reconcileOnce(ctx, rs);
        if (result.status === 'wait') {
          if (result.reason !== lastReason) {
            await saveStep(ctx.store, { ...base, status: 'waiting', reason: result.reason, ...(result.data ? { data: result.data } : {}) });
            emitStep(ctx, rs, plan.length, 'waiting', result.reason);
            lastReason = result.reason;
          }
          await sleep(result.retryAfterMs, undefined, { signal: ctx.signal });
          continue;
        }
        const status = result.status === 'fail' ? 'failed' : result.status;
        records.set(rs.step.id, await saveStep(ctx.store, { ...base, status, reason: result.reason, ...('data' in result && result.data ? { data: result.data } : {}) }));
        emitStep(ctx, rs, plan.length, status, result.reason);
        await ctx.audit(`step.${status}`, result.reason, { step: rs.step.id, phase: rs.phase });
        if (result.status === 'fail') return await failRelease(ctx, recovery, `${rs.step.id}: ${result.reason}`);
        break;
      }
    }
  } catch (err) {
    if (err instanceof AbortRequested) return failRelease(ctx, recovery, `aborted by ${err.by}`, 'aborted');
    if (ctx.signal.aborted) throw err; // the process is stopping: leave the release in flight for --resume
    return failRelease(ctx, recovery, `conductor error: ${(err as Error).message}`, 'failed', 1);
  }
  await ctx.update({ state: 'promoted', phase: 'done', step: null, reason: 'all steps done' });
  await ctx.audit('release.promoted', 'ok', { version: ctx.release.version });
  return { state: 'promoted', exitCode: 0, reason: 'all steps done' };
}

async function failRelease<S extends RunServices>(
  ctx: RolloutContext<S>,
  recovery: Recovery<S>,
  reason: string,
  finalState: 'failed' | 'aborted' = 'failed',
  errorExit?: 1,
): Promise<RunOutcome> {
  const moved = trafficMoved(ctx.release);
  if (moved && (ctx.env.rollback.automatic || finalState === 'aborted')) {
    await ctx.update({ state: 'rolling_back', reason: `rolling back: ${reason}` });
    await ctx.audit('release.rollback', 'started', { reason });
    try {
      await recovery.rollback(ctx, reason);
    } catch (err) {
      if ((err as { details?: Record<string, unknown> }).details?.['unreachable'] === true) {
        // The router or the runtime is down (a restart, `ccr down`): where traffic stands is
        // unknown, so the release is not called failed; it stays rolling back, and resuming
        // it (ccr deploy --resume) finishes the rollback once they answer again.
        const why = `rollback waiting for the target: ${(err as Error).message}. Start the runtime if it is stopped (npx ccr up --detach), then: ccr deploy --resume`;
        await ctx.audit('release.rollback', 'interrupted', { reason, why });
        return { state: 'rolling_back', exitCode: 1, reason: why };
      }
      const why = `rollback failed: ${(err as Error).message} (after: ${reason})`;
      await ctx.update({ state: 'failed', reason: why });
      await ctx.audit('release.rollback', 'failed', { reason: why });
      return { state: 'failed', exitCode: 1, reason: why };
    }
    const state = finalState === 'aborted' ? 'aborted' : 'rolled_back';
    await ctx.update({ state, reason });
    await ctx.audit('release.rollback', 'completed', { reason });
    return { state, exitCode: 3, reason };
  }
  if (moved) {
    // Automatic rollback is off: leave it in flight, traffic as is, with somebody in charge.
    await ctx.update({ state: 'paused', reason: `failed, automatic rollback disabled: ${reason}. Run ccr rollback or ccr abort.` });
    return { state: 'paused', exitCode: 1, reason };
  }
  try {
    await recovery.cleanup(ctx, reason);
  } catch (err) {
    ctx.progress({ type: 'log', level: 'warn', message: `cleanup after failure: ${(err as Error).message}` });
  }
  await ctx.update({ state: finalState, reason });
  await ctx.audit(`release.${finalState}`, reason);
  return { state: finalState, exitCode: errorExit ?? 2, reason };
}

function emitStep<S extends RunServices>(ctx: RolloutContext<S>, rs: ResolvedStep, total: number, status: string, reason: string): void {
  ctx.progress({ type: 'step', phase: rs.phase, step: rs.step.id, title: rs.step.title, status, reason, index: rs.index, total });
}
