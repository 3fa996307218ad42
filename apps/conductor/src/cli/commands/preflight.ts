import type { Command } from 'commander';
import { CcrError } from '../../errors.js';
import { unknownValue } from '../../suggest.js';
import type { PreflightReport } from '../../gates/preflight.js';
import type { GateVerdict } from '../../gates/record.js';
import { GATE_NAMES, type GateName } from '../../gates/types.js';
import { currentActor } from '../../store/index.js';
import { openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

interface PreflightOptions extends GlobalOptions {
  outsideWindow?: string;
  only?: string;
}

const MARK = { pass: 'PASS', fail: 'FAIL', 'cannot-check': 'CANNOT CHECK' } as const;

function gateLine(v: GateVerdict): string {
  const head = `${MARK[v.result].padEnd(12)} ${v.gate}${v.acceptance ? ` (accepted: ${v.acceptance.reason})` : v.blocks ? ' [blocks]' : ''}  ${v.durationMs} ms`;
  return [head, ...v.checks.map((c) => `    ${c.result === 'pass' ? 'ok  ' : c.result === 'fail' ? 'FAIL' : '??  '} ${c.name}: ${c.detail}`)].join('\n');
}

function human(r: PreflightReport): string {
  const blocking = r.gates.filter((g) => g.blocks);
  return [
    `preflight of ${r.ref} for ${r.env} at ${r.at}`,
    '',
    ...r.gates.map(gateLine),
    ...(r.manual.length ? ['', 'manual sign-offs during the deploy (ccr approve <step>):', ...r.manual.map((m) => `  - ${m.step}: ${m.title}`)] : []),
    '',
    r.ok ? `all ${r.gates.length} gates pass${r.gates.some((g) => g.acceptance) ? ' (with accepted cannot-check results)' : ''}` : `${blocking.length} gate(s) block the deploy: ${blocking.map((g) => g.gate).join(', ')}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('preflight')
    .description('run the pre-deployment gates of the environment\'s plan for a release candidate (exit 2 when a gate blocks)')
    .argument('<ref>', 'the release candidate: a git tag (or branch/commit)')
    .option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
    .option('--outside-window <reason>', 'deploy outside the deployment windows, with this reason recorded')
    .option('--only <gates>', `comma-separated subset of: ${GATE_NAMES.join(', ')}`)
    .option('--json', 'one JSON document with every gate, its result and evidence')
    .addHelpText('after', `
Each gate answers pass, fail or cannot-check with its evidence; cannot-check blocks unless the
environment's acceptCannotCheck lists the gate with a reason. Results are recorded in the store.

Example:
  $ npx ccr preflight v1.5.0-rc.1 --env production
  $ npx ccr preflight v1.5.0-rc.1 --env staging --only window,config --json`)
    .action(async (ref: string, cmdOpts: PreflightOptions, cmd: Command) => {
      const opts: PreflightOptions = { ...cmd.optsWithGlobals<PreflightOptions>(), ...cmdOpts };
      let code = 1;
      try {
        // the gates pull in kafkajs, ioredis and eslint: loaded when preflight runs, not for --help
        const { gatesOfPlan, runPreflight } = await import('../../gates/preflight.js');
        const o = await openEnv(opts.env);
        try {
          const planned = gatesOfPlan({ config: o.config, envName: o.envName }, o.env.gates.review !== undefined);
          let gates = planned.gates;
          if (opts.only) {
            const wanted = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
            const unknown = wanted.filter((g) => !(GATE_NAMES as readonly string[]).includes(g));
            if (unknown.length) throw new CcrError('usage', `--only: ${unknown.map((g) => unknownValue('gate', g, GATE_NAMES)).join('; ')}`);
            gates = wanted as GateName[];
          }
          if (opts.outsideWindow !== undefined && opts.outsideWindow.trim().length < 5) throw new CcrError('usage', '--outside-window needs a reason (at least 5 characters)');
          progress(opts, `preflight of ${ref} for ${o.envName}: ${gates.join(', ')}`);
          const report = await runPreflight({
            envName: o.envName, env: o.env, gates: o.env.gates, ref, repo: o.paths.projectRoot, artifactsDir: o.paths.artifacts, paths: o.paths, store: o.store, secrets: o.config.secrets,
            now: () => new Date(), ...(opts.outsideWindow ? { outsideWindow: opts.outsideWindow } : {}),
          }, gates, { actor: currentActor(), manual: planned.manual, onGate: (v) => progress(opts, `  ${MARK[v.result]} ${v.gate}`) });
          emit(opts, report, () => human(report));
          code = report.ok ? 0 : 2;
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
      process.exit(code);
    });
}
