import type { EnvironmentConfig } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import type { CcPaths } from '../../paths.js';
import { SupervisorClient } from '../../runtime/control-client.js';
import { readSecret } from '../../runtime/secrets.js';
import type { DeployTarget } from '../../engine/deploy-target.js';
import { HaproxyDataPlane } from './data-plane.js';
import { HaproxyTarget } from './haproxy-target.js';
import { HaproxyRuntime } from './runtime-api.js';

type HaproxyConfig = Extract<EnvironmentConfig['target'], { type: 'haproxy' }>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The haproxy target of an environment, from any ccr process (HAProxy is found by its Runtime API). */
export function connectHaproxyTarget(cfg: HaproxyConfig, paths: CcPaths): DeployTarget {
  if (!cfg.publicUrl) throw new CcrError('config_invalid', 'the haproxy target needs publicUrl: the address users reach HAProxy on');
  const remote = cfg.hosts.filter((h) => !LOOPBACK.test(h.address));
  if (remote.length) {
    throw new CcrError('not_implemented', `hosts ${remote.map((h) => h.name).join(', ')} are not on this machine: reaching a remote host's supervisor is not implemented yet (deploy/haproxy/README.md)`);
  }
  if (cfg.hosts.length > 1) {
    throw new CcrError('not_implemented', 'several loopback hosts would share this machine\'s one supervisor; give the haproxy target one loopback host here');
  }
  const pinToken = readSecret(paths.secrets, 'router-pin-token');
  if (!pinToken) throw new CcrError('not_found', `the pin token is missing under ${paths.secrets}; it must match the cc-pin-token.acl HAProxy loaded (deploy/haproxy/README.md)`);
  const runtime = new HaproxyRuntime(cfg.runtimeApi);
  const controller = SupervisorClient.connect(paths);
  // slots 0: the data plane reads how many version backends the running config has on first use.
  const plane = new HaproxyDataPlane(runtime, { backends: cfg.backend, slots: 0 });
  return new HaproxyTarget({ plane, hosts: cfg.hosts.map((h) => ({ ...h, controller })), publicUrl: cfg.publicUrl, pinToken });
}
