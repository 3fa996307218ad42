import { CcrError } from '../errors.js';
import { switchBack, type SwitchBackResult } from '../rollback/switch-back.js';
import { schemaRollbackFor } from '../schema/rollback-hook.js';
import { reapScaleDowns } from '../strategies/scale-down.js';
import {
  audit, claimControlRequest, getEnvState, inFlightRelease, pendingControlRequests, rejectControlRequest,
  type Actor, type ControlRequest,
} from '../store/index.js';
import type { OpenEnv } from './open-env.js';

// The environment-level rollback: all traffic back on the previous version (one router switch
// when it is still warm). It is a control request with no release, applied by whoever holds
// the environment's lock: the controller, or `ccr rollback` itself when it gets the lock.

export interface RollbackOutcome {
  env: string;
  to: string;
  from: string | null;
  warm: boolean;
  switchMs: number;
  stoppedFrom: number;
  split: SwitchBackResult['view']['split'];
  schema: { action: string; reason: string | null };
}

/** Performs a rollback; the caller holds the environment lock. */
export async function performRollback(o: OpenEnv, p: { to?: string; keep?: boolean }, actor: Actor, say: (line: string) => void): Promise<RollbackOutcome> {
  const inFlight = await inFlightRelease(o.store, o.envName);
  if (inFlight) throw new CcrError('conflict', `release ${inFlight.id} is in flight (${inFlight.state}); use \`ccr abort\`, which rolls it back`);
  const target = o.target();
  const state = await getEnvState(o.store, o.envName);
  const view = await target.traffic();
  const current = Object.keys(view.split.api).length === 1 ? Object.keys(view.split.api)[0]! : state.activeVersion;
  const to = p.to ?? state.previousVersion;
  if (!to) throw new CcrError('not_found', `no previous version of ${o.envName} is recorded; say which with --to <version>`);
  if (to === current) throw new CcrError('conflict', `${to} already carries all traffic`);
  const services = o.services(() => to, (m) => say(`warning: ${m}`));
  if (!services.artifacts.has(to)) throw new CcrError('not_found', `no artifact ${to}; build it first: ccr build ${to}`);
  const schema = await schemaRollbackFor(o, current ?? null, to, say);
  const name = actor.identity.replace(/^os:/, '');
  const r = await switchBack({
    db: o.store, target, notifier: services.notifier, env: o.envName, actor: name, releaseId: null,
    to, from: current ?? null, instances: services.instances, reason: `manual rollback by ${actor.identity}`,
    progress: say, keepFrom: p.keep === true,
  });
  await schema.apply();
  await services.onPromoted?.(to);
  await reapScaleDowns(o.store, o.envName, target, name).catch(() => undefined);
  return {
    env: o.envName, to: r.to, from: r.from, warm: r.warm, switchMs: r.switchMs, stoppedFrom: r.stoppedFrom, split: r.view.split,
    schema: { action: schema.plan?.action ?? 'none', reason: schema.plan?.reason ?? null },
  };
}

export function describeRollback(r: RollbackOutcome): string {
  return `rolled back ${r.env} from ${r.from ?? '?'} to ${r.to} in ${r.switchMs} ms (${r.warm ? 'warm: one router switch' : 'started it first'})${r.stoppedFrom ? `; stopped ${r.stoppedFrom} instance(s) of ${r.from}` : ''}`;
}

/**
 * Applies one env-level rollback request; the caller holds the lock. Claimed after the effect:
 * a holder killed mid-rollback leaves the request pending, and its successor finds the switch
 * done (rejected: already on it) or does it. Errors are rethrown with their code after the
 * request is recorded as rejected.
 */
export async function applyRollbackRequest(o: OpenEnv, req: ControlRequest, by: Actor, say: (line: string) => void): Promise<RollbackOutcome> {
  const who: Actor = { identity: req.identity, channel: req.channel };
  const details = { request: req.id, decidedBy: by.identity, params: req.params };
  try {
    const outcome = await performRollback(o, req.params as { to?: string; keep?: boolean }, who, say);
    if (await claimControlRequest(o.store, req.id, describeRollback(outcome))) {
      await audit(o.store, { actor: who, env: o.envName, action: 'control.rollback', result: 'applied', details: { ...details, to: outcome.to, from: outcome.from, switchMs: outcome.switchMs } });
    }
    return outcome;
  } catch (err) {
    const why = (err as Error).message;
    if (await rejectControlRequest(o.store, req.id, why)) {
      await audit(o.store, { actor: who, env: o.envName, action: 'control.rollback', result: `rejected: ${why}`, details });
    }
    throw err;
  }
}

/** How long the client that recorded an env-level request has to apply it itself (it usually does, with no round trip). */
export const CLIENT_HEAD_START_MS = 2000;

/** Env-level requests a controller should apply: pending, and older than the client's head start. */
export async function dueEnvRequests(o: OpenEnv, now = Date.now()): Promise<ControlRequest[]> {
  return (await pendingControlRequests(o.store, { env: o.envName, envLevel: true })).filter((r) => now - Date.parse(r.requestedAt) >= CLIENT_HEAD_START_MS);
}

/** Reads back what a rollback applied by another process did (its audit row). */
export async function rollbackOutcomeOf(o: OpenEnv, requestId: number): Promise<RollbackOutcome | null> {
  const r = await o.store.query(`SELECT details->'outcome' AS outcome FROM audit_log WHERE action = 'control.rollback' AND result = 'applied' AND (details->>'request')::bigint = $1 ORDER BY id DESC LIMIT 1`, [requestId]);
  return (r.rows[0]?.outcome as RollbackOutcome | undefined) ?? null;
}

/** Applies the environment's due env-level requests, oldest first; the caller holds the lock. */
export async function applyEnvRequests(o: OpenEnv, by: Actor, say: (line: string) => void): Promise<number> {
  let n = 0;
  for (const req of await dueEnvRequests(o)) {
    n++;
    if (req.action !== 'rollback') {
      await rejectControlRequest(o.store, req.id, `${req.action} needs a release in flight`);
      continue;
    }
    await applyRollbackRequest(o, req, by, say).catch((err: Error) => say(`rollback #${req.id} rejected: ${err.message}`));
  }
  return n;
}
