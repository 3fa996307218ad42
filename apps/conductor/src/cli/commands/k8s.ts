import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { environment, loadRollout } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { ccPaths } from '../../paths.js';
import { readManifest } from '../../artifacts/manifest.js';
import { renderArgoYaml } from '../../targets/kubernetes/generate.js';
import { KubernetesTarget } from '../../targets/kubernetes/kubernetes-target.js';
import { GENERATED_FILE, overlayFor } from '../../targets/kubernetes/overlay.js';
import type { KubeCommand, PinnedImages } from '../../targets/kubernetes/plan.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

interface ActionOptions { env?: string; dryRun?: boolean; full?: boolean; apiImage?: string; webImage?: string }

/** The kubernetes target of an environment, plus the release's images pinned by digest. */
function openTarget(opts: GlobalOptions & ActionOptions) {
  const { config } = loadRollout();
  const { name } = environment(config, opts.env);
  const paths = ccPaths();
  const target = KubernetesTarget.fromConfig(config, name, paths.projectRoot, undefined, (line) => progress(opts, `k8s: ${line}`));
  const images = (version: string): PinnedImages => {
    if (opts.apiImage && opts.webImage) return { api: opts.apiImage, web: opts.webImage };
    const recorded = readManifest(join(paths.artifacts, version)).images;
    if (!recorded) throw new CcrError('not_found', `artifact ${version} has no pushed images; run: ccr build <ref> --images`);
    return { api: `${recorded.api.repository}@${recorded.api.digest}`, web: `${recorded.web.repository}@${recorded.web.digest}` };
  };
  return { name, target, images };
}

const showPlan = (plan: KubeCommand[]) => plan.map((c) => `# ${c.description}\n${c.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')}${c.stdin ? ' <<EOF\n' + c.stdin + 'EOF' : ''}`).join('\n');

export function register(program: Command): void {
  const k8s = program.command('k8s').description('Kubernetes manifests generated from rollout.yaml (Argo Rollouts)');
  k8s
    .command('render')
    .description("print the Argo Rollout and AnalysisTemplates for an environment's canary steps and analyses")
    .option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
    .option('--write', `write them to the environment's overlay as ${GENERATED_FILE}`)
    .option('--check', 'exit 1 when the overlay\'s generated file differs from rollout.yaml (for CI)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ ccr k8s render --env production --write\n  $ kubectl kustomize deploy/k8s/overlays/production | kubectl apply -f -')
    .action(async (cmdOpts: { env?: string; write?: boolean; check?: boolean }, cmd: Command) => {
      const opts: GlobalOptions & typeof cmdOpts = { ...cmd.optsWithGlobals(), ...cmdOpts };
      try {
        const { config } = loadRollout();
        const { name } = environment(config, opts.env);
        const root = ccPaths().projectRoot;
        const overlay = overlayFor(config, name, root);
        const yaml = renderArgoYaml(config, name, { namespace: overlay.namespace });
        const file = join(overlay.overlayDir, GENERATED_FILE);
        if (opts.check) {
          const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
          if (current !== yaml) throw new CcrError('config_invalid', `${relative(root, file)} is out of date with rollout.yaml; run: ccr k8s render --env ${name} --write`, { exitCode: 1 });
          emit(opts, { env: name, file, upToDate: true }, () => `${relative(root, file)} matches rollout.yaml`);
          return;
        }
        if (opts.write) {
          writeFileSync(file, yaml);
          emit(opts, { env: name, file, namespace: overlay.namespace }, () => `wrote ${relative(root, file)}`);
          return;
        }
        emit(opts, { env: name, namespace: overlay.namespace, yaml }, () => yaml.trimEnd());
      } catch (err) {
        fail(opts, err);
      }
    });

  const action = (name: string, description: string, argument: string | null, build: (t: ReturnType<typeof openTarget>, version: string, o: ActionOptions) => { plan: KubeCommand[]; run: () => Promise<unknown> }) => {
    const c = k8s.command(name).description(description);
    if (argument) c.argument(argument);
    c.option('--env <name>', 'environment (default: rollout.yaml defaultEnvironment)')
      .option('--dry-run', 'print the kubectl commands instead of running them')
      .option('--json', 'machine-readable output');
    if (name === 'deploy' || name === 'rollback') c.option('--api-image <ref>', 'API image by digest (default: from the artifact manifest)').option('--web-image <ref>', 'web image by digest (default: from the artifact manifest)');
    if (name === 'promote') c.option('--full', 'skip the remaining steps and analyses');
    c.action(async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const opts: GlobalOptions & ActionOptions = { ...cmd.optsWithGlobals(), ...(args.at(-2) as ActionOptions) };
      try {
        const t = openTarget(opts);
        const { plan, run } = build(t, argument ? (args[0] as string) : '', opts);
        if (opts.dryRun) {
          emit(opts, { env: t.name, plan }, () => showPlan(plan));
          return;
        }
        const result = await run();
        emit(opts, { env: t.name, action: name, result: result ?? null }, () => (result ? JSON.stringify(result, null, 2) : `${name}: done`));
      } catch (err) {
        fail(opts, err);
      }
    });
  };
  action('deploy', 'apply the overlay, run the migration Job, then start the canary with the release images', '<version>', ({ target, images }, v) => {
    const img = images(v);
    return {
      plan: [...target.planner.apply(), ...target.planner.migrate(v, img.api), ...target.planner.deploy(img)],
      run: async () => { await target.apply(); await target.migrate(v, img.api); await target.deploy(img); return target.status(); },
    };
  });
  action('status', "the Argo Rollout's phase, step and canary weight", null, ({ target }) => ({ plan: target.planner.status(), run: () => target.status() }));
  action('promote', 'resume a paused canary (to its next step, or fully with --full)', null, ({ target }, _v, o) => ({ plan: target.planner.promote({ full: Boolean(o.full) }), run: () => target.promote({ full: Boolean(o.full) }) }));
  action('abort', 'send all traffic back to stable', null, ({ target }) => ({ plan: target.planner.abort(), run: () => target.abort() }));
  action('rollback', 'abort, then redeploy a previous release by its recorded image digests', '<version>', ({ target, images }, v) => {
    const img = images(v);
    return { plan: target.planner.rollback(img), run: () => target.rollback(img) };
  });
}
