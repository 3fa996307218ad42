import type pg from 'pg';
import { resolvePlan } from '../plan/resolve.js';
import { audit, claimControlRequest, describeRequest, getRelease, pendingControlRequests, rejectControlRequest, type ControlRequest, type Release } from '../store/index.js';
import type { RolloutContext } from './context.js';

// Whoever drives a release applies its control requests, oldest first, each exactly once: the
// claim (pending -> applied) commits in the same transaction as the request's effect on the
// release (its state, or a key of release.data the running step reads). So a driver killed
// between two requests leaves the next one pending for its successor, and never half-applied.

const END_KEY = 'hypercareEnd';

async function inTx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

type Decision = { apply: (c: pg.PoolClient) => Promise<void>; result: string } | { reject: string };

function decide(ctx: RolloutContext, r: Release, req: ControlRequest, stepDone: (id: string) => boolean): Decision {
  const by = req.identity;
  const setData = (patch: Record<string, unknown>) => (c: pg.PoolClient) =>
    c.query('UPDATE releases SET data = data || $2::jsonb, updated_at = now() WHERE id = $1', [r.id, JSON.stringify(patch)]).then(() => undefined);
  switch (req.action) {
    case 'pause':
      if (r.state === 'paused') return { reject: `release ${r.id} is already paused` };
      if (r.state === 'rolling_back') return { reject: `release ${r.id} is rolling back` };
      return {
        result: `paused at ${r.step ?? r.phase}`,
        apply: (c) => c.query(`UPDATE releases SET state = 'paused', reason = $2, updated_at = now() WHERE id = $1`, [r.id, `paused by ${by}`]).then(() => undefined),
      };
    case 'resume':
      if (r.state !== 'paused') return { reject: `release ${r.id} is ${r.state}, not paused` };
      return {
        result: `resumed at ${r.step ?? r.phase}`,
        apply: (c) => c.query(`UPDATE releases SET state = 'running', reason = $2, updated_at = now() WHERE id = $1`, [r.id, `resumed by ${by}`]).then(() => undefined),
      };
    case 'abort':
      return { result: 'aborting: traffic goes back to the stable version', apply: setData({ abort: { by, requestId: req.id } }) };
    case 'promote': {
      if (r.strategy !== 'canary') return { reject: `release ${r.id} uses ${r.strategy}; only a canary has steps to skip` };
      const step = resolvePlan(ctx.config, ctx.envName).find((s) => s.step.kind === 'automated' && s.step.type === 'deploy.backend');
      if (step && stepDone(step.step.id)) return { reject: `the canary of ${r.id} is already done (100%)` };
      return {
        result: 'promoting: the remaining canary steps are skipped',
        apply: (c) => c.query(
          `UPDATE releases SET data = jsonb_set(data, '{canary}', COALESCE(data->'canary', '{}'::jsonb) || jsonb_build_object('promote', $2::jsonb)), updated_at = now() WHERE id = $1`,
          [r.id, JSON.stringify({ by, requestId: req.id })],
        ).then(() => undefined),
      };
    }
    case 'approve': {
      const stepId = String(req.params['step'] ?? '');
      const note = String(req.params['note'] ?? '');
      const s = resolvePlan(ctx.config, ctx.envName).find((x) => x.step.id === stepId);
      if (!s || s.step.kind !== 'manual') return { reject: `"${stepId}" is not a manual step of the ${ctx.envName} plan` };
      return {
        result: `${stepId} signed off`,
        apply: (c) => c.query('INSERT INTO approvals (release_id, step_id, actor, note) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [r.id, stepId, by, note]).then(() => undefined),
      };
    }
    case 'hypercare-end':
      return {
        result: 'hypercare ends at its next check',
        apply: setData({ [END_KEY]: { by, reason: String(req.params['reason'] ?? ''), at: new Date().toISOString(), requestId: req.id } }),
      };
    case 'rollback':
      return { reject: `release ${r.id} is in flight: a rollback applies to a settled environment; use abort` };
  }
}

/**
 * Applies the release's pending control requests in id order and refreshes ctx.release.
 * Returns the requests it decided (applied or rejected) for the caller's progress output.
 */
export async function applyPendingControls(ctx: RolloutContext, stepDone: (id: string) => boolean): Promise<ControlRequest[]> {
  const pending = await pendingControlRequests(ctx.store, { env: ctx.envName, releaseId: ctx.release.id });
  const decided: ControlRequest[] = [];
  for (const req of pending) {
    const r = await getRelease(ctx.store, ctx.release.id);
    if (!r) throw new Error(`release ${ctx.release.id} disappeared from the store`);
    const d = decide(ctx, r, req, stepDone);
    const who = { identity: req.identity, channel: req.channel };
    const details = { request: req.id, decidedBy: ctx.by.identity, ...(Object.keys(req.params).length ? { params: req.params } : {}) };
    if ('reject' in d) {
      if (await rejectControlRequest(ctx.store, req.id, d.reject)) {
        await audit(ctx.store, { actor: who, env: ctx.envName, releaseId: r.id, action: `control.${req.action}`, result: `rejected: ${d.reject}`, details });
        ctx.progress({ type: 'log', level: 'warn', message: `${describeRequest(req)} rejected: ${d.reject}` });
        decided.push({ ...req, state: 'rejected', result: d.reject });
      }
      continue;
    }
    const claimed = await inTx(ctx.store as pg.Pool, async (c) => {
      if (!(await claimControlRequest(c, req.id, d.result))) return false;
      await d.apply(c);
      await audit(c, { actor: who, env: ctx.envName, releaseId: r.id, action: `control.${req.action}`, result: 'applied', details: { ...details, result: d.result } });
      return true;
    });
    if (claimed) {
      ctx.progress({ type: 'log', level: 'info', message: `${describeRequest(req)}: ${d.result}` });
      decided.push({ ...req, state: 'applied', result: d.result });
    }
  }
  const fresh = await getRelease(ctx.store, ctx.release.id);
  if (!fresh) throw new Error(`release ${ctx.release.id} disappeared from the store`);
  ctx.release = fresh;
  return decided;
}
