import type { EnvironmentConfig } from '../config/index.js';
import { CcrError } from '../errors.js';
import type { CcPaths } from '../paths.js';
import { SupervisorClient } from '../runtime/control-client.js';
import { RouterAdminClient } from '../runtime/router-client.js';
import { readRuntime } from '../runtime/runtime-state.js';
import { readSecret } from '../runtime/secrets.js';
import type { WaitPolicy } from '../runtime/wait-reachable.js';
import type { DeployTarget } from '../engine/deploy-target.js';
import { connectHaproxyTarget } from './haproxy/connect-haproxy.js';
import { LocalTarget } from './local-target.js';

/**
 * The deploy target of an environment, reached from any ccr process. With `onWaiting`, a
 * local target waits (up to the target's adminWaitTimeout) for a router or runtime that is
 * restarting, saying so through it; without, an unreachable one fails at once.
 */
export function connectTarget(env: EnvironmentConfig, paths: CcPaths, onWaiting?: (line: string) => void): DeployTarget {
  if (env.target.type === 'haproxy') return connectHaproxyTarget(env.target, paths);
  if (env.target.type === 'kubernetes') {
    // Argo Rollouts owns instances and weights there, so the strategies' target interface does
    // not apply (docs/DESIGN.md, Targets); the cluster is driven by its own commands.
    throw new CcrError('usage', 'this environment is a kubernetes target: Argo Rollouts runs its canary in the cluster. Use `ccr k8s deploy <version> --env <name>` (then `ccr k8s status|promote|abort|rollback`); `ccr preflight` and `ccr backup` work as for any environment', { exitCode: 2 });
  }
  if (env.target.type !== 'local') throw new CcrError('not_implemented', `the ${(env.target as { type: string }).type} target is not implemented`);
  const rt = readRuntime(paths);
  if (!rt?.router) throw new CcrError('not_found', `no local runtime is running for ${paths.home}; start it with \`npx ccr up --detach\``);
  const adminToken = readSecret(paths.secrets, 'router-admin-token');
  const pinToken = readSecret(paths.secrets, 'router-pin-token');
  if (!adminToken || !pinToken) throw new CcrError('not_found', `router tokens are missing under ${paths.secrets}; restart the runtime with \`npx ccr up\``);
  const host = rt.router.host === '0.0.0.0' || rt.router.host === '::' ? '127.0.0.1' : rt.router.host;
  const wait: WaitPolicy | undefined = onWaiting ? { deadlineMs: env.target.adminWaitTimeout, onWaiting } : undefined;
  // Found again in runtime.json on every attempt: `ccr down && ccr up` may move the admin port.
  const first = rt.router.adminPort;
  const adminUrl = () => `http://127.0.0.1:${readRuntime(paths)?.router?.adminPort ?? first}`;
  return new LocalTarget({
    controller: SupervisorClient.connect(paths, wait),
    router: new RouterAdminClient(wait ? adminUrl : adminUrl(), adminToken, 10_000, wait),
    publicUrl: `http://${host}:${rt.router.port}`,
    pinToken,
  });
}
