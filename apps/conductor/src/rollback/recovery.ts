import { backupOfRelease } from '../backup/index.js';
import type { Recovery } from '../engine/executor.js';
import { CcrError } from '../errors.js';
import type { ReleaseSchemaData } from '../schema/rollback-plan.js';
import { retireVersion } from '../targets/retire-version.js';
import { data, type DeployContext, type DeployServices } from '../engine/deploy-context.js';
import { switchBack } from './switch-back.js';

// The executor's Recovery for real deploys. rollback: traffic moved, so every service goes
// back to the stable version (instantly when it is warm) and the new version is stopped.
// cleanup: no traffic moved, so the new version's instances are detached and stopped and the
// database is left at the last good migration. Either way, maintenance this release turned on
// is turned off again.
//
// The schema stays where the release took it: outside a roll-forward-only release the stable
// version shared that schema while the release ran (migrations come before any traffic moves).
// The one case it must not go back is when the release's rehearsal saw the stable version fail
// its smoke tests on the migrated schema: switching would hand users a broken version, so the
// rollback refuses, traffic and maintenance stay as they are, and the way out is named.

async function refuseIfStableBreaksOnSchema(ctx: DeployContext, stable: string, reason: string): Promise<void> {
  const rehearsal = (ctx.release.data as ReleaseSchemaData).rehearsal;
  if (rehearsal?.expandContract !== 'incompatible' || rehearsal.oldVersion !== stable) return;
  const backup = await backupOfRelease(ctx.store, ctx.release.id);
  const why = `not switching back to ${stable}: it failed its smoke tests on this release's migrated schema in the rehearsal (${rehearsal.smokeDetail ?? 'see the rehearsal step'}); traffic stays on ${ctx.release.version ?? 'the new version'}${data(ctx).maintenanceOn ? ' behind the maintenance page' : ''}. Fix forward${backup ? `, or restore the pre-release backup: ccr backup restore ${backup.id} --yes` : ' (no pre-release backup is recorded)'}`;
  await ctx.audit('rollback.refused', 'schema', { to: stable, reason, why, backup: backup?.id ?? null });
  await ctx.services.notifier?.notify('issue', { releaseId: ctx.release.id, env: ctx.envName, version: ctx.release.version, previousVersion: stable, reason: `${reason}; ${why}` });
  throw new CcrError('gate_failed', why, { details: { backup: backup?.id ?? null } });
}

async function maintenanceOff(ctx: DeployContext): Promise<void> {
  if (data(ctx).maintenanceOn !== true) return;
  await ctx.services.target.setMaintenance(false);
  await ctx.update({ data: { maintenanceOn: false } });
  await ctx.audit('maintenance.off', 'ok', { why: 'release ended' });
}

export function deployRecovery(): Recovery<DeployServices> {
  return {
    async rollback(ctx, reason) {
      const version = ctx.release.version;
      const stable = data(ctx).stable ?? ctx.release.previousVersion;
      if (!stable) throw new Error('no stable version to roll back to (first deploy of this environment)');
      await refuseIfStableBreaksOnSchema(ctx, stable, reason);
      ctx.progress({ type: 'log', level: 'warn', message: `rolling back to ${stable}: ${reason}` });
      const r = await switchBack({
        db: ctx.store, target: ctx.services.target, notifier: ctx.services.notifier, env: ctx.envName, actor: ctx.actor,
        releaseId: ctx.release.id, to: stable, from: version, instances: ctx.services.instances, reason,
        progress: (line) => ctx.progress({ type: 'log', level: 'warn', message: line }),
      });
      ctx.progress({ type: 'weights', service: 'api', weights: r.view.split.api });
      await ctx.update({ data: { rollback: { to: stable, warm: r.warm, switchMs: r.switchMs } } });
      await maintenanceOff(ctx);
    },
    async cleanup(ctx, reason) {
      const version = ctx.release.version;
      if (version && version !== (data(ctx).stable ?? null)) {
        const target = ctx.services.target;
        const view = await target.traffic();
        if (Object.values(view.split).every((s) => !(s[version] ?? 0))) {
          const mine = await retireVersion(target, version);
          if (mine.length) await ctx.audit('cleanup', 'ok', { version, stopped: mine.map((i) => i.id), reason });
        }
      }
      await maintenanceOff(ctx);
    },
  };
}
