import type pg from 'pg';
import { audit, setActiveVersion } from '../store/index.js';
import type { DeployTarget, TrafficView } from '../engine/deploy-target.js';
import type { Notifier } from '../notify/index.js';
import { cancelScaleDowns } from '../strategies/scale-down.js';
import { retireVersion } from '../targets/retire-version.js';

// Rollback as one operation shared by the automatic recovery and `ccr rollback`: when the
// version to return to still runs (kept warm), it is one router state change; otherwise its
// instances start first and the switch follows once they are ready. Then the version being
// left is detached and stopped. Audited and announced at both ends.

export interface SwitchBackInput {
  db: Pick<pg.Pool, 'query'>;
  target: DeployTarget;
  notifier?: Notifier | undefined;
  env: string;
  actor: string;
  releaseId: string | null;
  /** Version to return to. */
  to: string;
  /** Version being left (stopped after the switch); null when unknown. */
  from: string | null;
  instances: number;
  reason: string;
  progress?: (line: string) => void;
  /** Keep the left version's instances (e.g. to investigate); default stop them. */
  keepFrom?: boolean;
}

export interface SwitchBackResult {
  to: string;
  from: string | null;
  /** The previous version was still running, so no instance had to start. */
  warm: boolean;
  /** From the start of the rollback until every service sent all traffic to `to`. */
  switchMs: number;
  stoppedFrom: number;
  view: TrafficView;
}

export async function switchBack(i: SwitchBackInput): Promise<SwitchBackResult> {
  const started = performance.now();
  const say = i.progress ?? (() => undefined);
  const base = { releaseId: i.releaseId, env: i.env, version: i.from, previousVersion: i.to, reason: i.reason };
  await audit(i.db, { actor: i.actor, env: i.env, releaseId: i.releaseId, action: 'rollback.initiated', result: 'started', details: { to: i.to, from: i.from, reason: i.reason } });
  const announce = i.notifier?.notify('rollback-initiated', base);
  const live = (await i.target.instances()).filter((x) => x.version === i.to && x.state !== 'stopping');
  const warm = live.length > 0;
  if (!warm) {
    say(`${i.to} is not running: starting ${i.instances} instance(s) before switching`);
    await i.target.start(i.to, i.instances);
  }
  const plan: Record<string, number> = { [i.to]: 100 };
  if (i.from && i.from !== i.to) plan[i.from] = 0;
  const view = await i.target.route({ api: plan, web: plan });
  const switchMs = Math.round(performance.now() - started);
  say(`all traffic on ${i.to} after ${switchMs} ms${warm ? ' (it was warm: one router switch)' : ''}`);
  for (const service of ['api', 'web'] as const) {
    await i.db.query('INSERT INTO traffic_history (release_id, env, service, weights) VALUES ($1, $2, $3, $4)', [i.releaseId, i.env, service, view.split[service]]);
  }
  await setActiveVersion(i.db, i.env, i.to, i.from);
  await cancelScaleDowns(i.db, i.env, i.to);
  if (warm && live.length < i.instances) await i.target.start(i.to, i.instances - live.length).catch((err: Error) => say(`could not top ${i.to} up to ${i.instances} instances: ${err.message}`));
  let stoppedFrom = 0;
  if (i.from && i.from !== i.to && !i.keepFrom) {
    stoppedFrom = (await retireVersion(i.target, i.from)).length;
  }
  await audit(i.db, { actor: i.actor, env: i.env, releaseId: i.releaseId, action: 'rollback.completed', result: 'ok', details: { to: i.to, from: i.from, warm, switchMs, stoppedFrom, reason: i.reason } });
  await announce;
  await i.notifier?.notify('rollback-completed', { ...base, reason: `all traffic back on ${i.to} in ${switchMs} ms (${warm ? 'warm switch' : 'cold start'}): ${i.reason}` });
  return { to: i.to, from: i.from, warm, switchMs, stoppedFrom, view };
}
