import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import type { HypercareState } from '../../hypercare/watch.js';
import { IN_FLIGHT, inFlightRelease, type Release } from '../../store/index.js';
import { mustBeApplied, requestAndApply, waitForRelease } from '../control.js';
import { openEnv } from '../open-env.js';
import { emit, fail, type GlobalOptions } from '../output.js';

type Opts = GlobalOptions & { reason?: string };

async function currentRelease(db: Parameters<typeof inFlightRelease>[0], env: string): Promise<Release> {
  const r = await inFlightRelease(db, env);
  if (!r) throw new CcrError('not_found', `no release of ${env} is in flight`);
  return r;
}

export function register(program: Command): void {
  const hc = program.command('hypercare').description("the post-promotion watch (plan step type hypercare): see it, or end it early");

  hc.command('status')
    .description('what hypercare of the release in flight has checked so far, and when it ends')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .action(async (cmdOpts: Opts, cmd: Command) => {
      const opts: Opts = { ...cmd.optsWithGlobals<Opts>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          const r = await currentRelease(o.store, o.envName);
          const st = r.data['hypercare'] as HypercareState | undefined;
          if (!st) throw new CcrError('conflict', `${r.id} is at ${r.step ?? r.phase}; its hypercare has not started`);
          const last = await o.store.query(
            `SELECT DISTINCT ON (metric) metric, verdict, value, threshold, details->>'reason' AS reason FROM measurements
              WHERE release_id = $1 AND analysis = 'hypercare' ORDER BY metric, id DESC`, [r.id]);
          const doc = { release: r.id, version: st.version, startedAt: st.startedAt, endsAt: st.endsAt, checks: st.checks, signals: last.rows };
          emit(opts, doc, () => [
            `hypercare of ${st.version} (${r.id}): ${st.checks} check(s) since ${st.startedAt}, ends ${st.endsAt}`,
            ...last.rows.map((s) => `  ${s.verdict === 'pass' ? '✓' : s.verdict === 'fail' ? '✗' : '?'} ${s.metric.padEnd(18)} ${s.reason}`),
          ].join('\n'));
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });

  hc.command('end')
    .description('end the hypercare watch of the release in flight early; audited with who and why')
    .requiredOption('--reason <text>', 'why the watch can stop (recorded in the audit log and the report)')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr hypercare end --env production --reason "UAT signed off, error rate flat for 20 minutes"')
    .action(async (cmdOpts: Opts, cmd: Command) => {
      const opts: Opts = { ...cmd.optsWithGlobals<Opts>(), ...cmdOpts };
      try {
        if (!opts.reason || opts.reason.trim().length < 3) throw new CcrError('usage', '--reason: say why the watch can end');
        const o = await openEnv(opts.env);
        try {
          const r = await currentRelease(o.store, o.envName);
          const steps = await o.store.query(`SELECT step_id FROM release_steps WHERE release_id = $1 AND type = 'hypercare' AND status IN ('running', 'waiting')`, [r.id]);
          if (steps.rowCount === 0) throw new CcrError('conflict', `${r.id} is not in hypercare (it is at ${r.step ?? r.phase})`);
          const a = await requestAndApply(o, { releaseId: r.id, action: 'hypercare-end', params: { reason: opts.reason.trim() } }, opts, 30_000);
          mustBeApplied(a);
          // applied: the driver's hypercare step ends at its next reconcile (if it was applied
          // here, nobody may be driving: wait less)
          const left = (x: Release) => !IN_FLIGHT.includes(x.state) || x.step !== steps.rows[0]!.step_id;
          const ended = left(await waitForRelease(o, r.id, left, a.appliedHere ? 5000 : 30_000));
          const result = ended ? 'ended' : 'pending';
          emit(opts, { release: r.id, hypercare: result, by: a.request.identity, request: a.request }, () =>
            result === 'ended' ? `hypercare of ${r.id} ended by ${a.request.identity}` : `hypercare end of ${r.id} recorded; it takes effect when the release is driven again`);
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
