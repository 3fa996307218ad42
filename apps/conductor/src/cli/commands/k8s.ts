import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { environment, loadRollout } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { ccPaths } from '../../paths.js';
import { renderArgoYaml } from '../../targets/kubernetes/generate.js';
import { GENERATED_FILE, overlayFor } from '../../targets/kubernetes/overlay.js';
import { emit, fail, type GlobalOptions } from '../output.js';

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
}
