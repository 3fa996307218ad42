import type { Command } from 'commander';
import { environment, formatDuration, loadRollout } from '../../config/index.js';
import { isImplemented } from '../../engine/registry.js';
import { loadStepImplementations } from '../../steps/index.js';
import { resolvePlan, stepLabel } from '../../plan/resolve.js';
import { emit, fail, type GlobalOptions } from '../output.js';

export function planStatus(step: ReturnType<typeof resolvePlan>[number]['step']): { status: string; note: string } {
  if (step.kind === 'manual') return { status: 'manual', note: 'needs a person: ccr approve' };
  if (step.kind === 'hook') return { status: 'hook', note: step.run ? `runs: ${step.run}` : `calls ${step.webhook!.url}` };
  if (isImplemented(step.type)) return { status: 'automated', note: '' };
  return { status: 'not-implemented', note: 'NOT IMPLEMENTED — will fail, never pass' };
}

export function register(program: Command): void {
  program
    .command('plan')
    .description("print an environment's checklist: every step with its kind and status")
    .option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
    .addHelpText('after', '\nExample:\n  $ ccr plan --env production\n  $ ccr plan --json | jq ".steps[] | select(.status == \\"not-implemented\\")"')
    .action(async (cmdOpts: { env?: string }, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals(), ...cmdOpts };
      try {
        await loadStepImplementations();
        const { config, file } = loadRollout();
        const { name, env } = environment(config, opts.env);
        const steps = resolvePlan(config, name).map((rs) => ({
          phase: rs.phase,
          id: rs.step.id,
          title: rs.step.title,
          kind: rs.step.kind,
          type: stepLabel(rs.step),
          seed: rs.step.seed ?? null,
          ...planStatus(rs.step),
        }));
        emit(opts, { env: name, file, strategy: env.strategy, target: env.target.type, steps }, () => {
          const lines = [`Plan for ${name} (${env.target.type} target, ${env.strategy} strategy) from ${file}`];
          let phase = '';
          for (const s of steps) {
            if (s.phase !== phase) {
              phase = s.phase;
              lines.push('', `  ${phase.toUpperCase()}`);
            }
            const mark = s.status === 'not-implemented' ? '✗' : s.status === 'manual' ? '✋' : '•';
            lines.push(`   ${mark} ${s.id.padEnd(20)} ${s.title}  [${s.type}]${s.note ? `\n       ${s.note}` : ''}`);
          }
          if (env.strategy === 'canary' && env.canary) {
            lines.push('', '  CANARY STEPS');
            for (const c of env.canary.steps) {
              lines.push(`   - ${'weight' in c ? `weight ${c.weight}%${c.pause ? `, pause ${formatDuration(c.pause)}` : ''}` : 'analysis' in c ? `analysis ${typeof c.analysis === 'string' ? c.analysis : 'inline'}` : `pause ${formatDuration(c.pause)}`}`);
            }
          }
          return lines.join('\n');
        });
      } catch (err) {
        fail(opts, err);
      }
    });
}
