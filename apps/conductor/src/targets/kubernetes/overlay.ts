import { isAbsolute, join } from 'node:path';
import type { RolloutConfig } from '../../config/index.js';
import { CcrError } from '../../errors.js';

// Where an environment's Kubernetes overlay lives and which namespace it deploys to: from the
// kubernetes target when the environment has one, else deploy/k8s/overlays/<env> and
// cc-webapp-<env> (an environment can move to Kubernetes before its target says so).

export const GENERATED_FILE = 'argo-rollouts.generated.yaml';

export interface OverlayInfo {
  overlayDir: string;
  namespace: string;
  context?: string;
}

export function overlayFor(config: RolloutConfig, envName: string, projectRoot: string): OverlayInfo {
  const env = config.environments[envName];
  if (!env) throw new CcrError('not_found', `rollout.yaml has no environment ${envName}`);
  if (env.target.type === 'kubernetes') {
    const t = env.target;
    return { overlayDir: isAbsolute(t.overlay) ? t.overlay : join(projectRoot, t.overlay), namespace: t.namespace, ...(t.context ? { context: t.context } : {}) };
  }
  return { overlayDir: join(projectRoot, 'deploy/k8s/overlays', envName), namespace: `cc-webapp-${envName}` };
}
