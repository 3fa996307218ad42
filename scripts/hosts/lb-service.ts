import { FleetError, errorMessage } from './errors.js';
import { execInHost, HOST_ROOT, DEPLOY_USER, startInHost, writeInHost } from './host-setup.js';
import { isAlive, waitFor, type ProcRef } from './proc.js';
import type { FleetState, HostState } from './state.js';

// HAProxy on the load-balancer host. It runs as the deploy user (like a unit with
// User=ccfleet and AmbientCapabilities=CAP_NET_BIND_SERVICE), from a config in the host's
// private disk, so its Runtime API socket (mode 600) is reachable by the deploy user over SSH
// and by nothing in the root namespace. The bed writes a starter config; a test that prepares
// the LB like an operator would replaces LB_CONFIG over SSH and calls fleet.restartLb().

export const LB_DIR = `${HOST_ROOT}/haproxy`;
export const LB_CONFIG = `${LB_DIR}/haproxy.cfg`;
/** The Runtime API socket every config for the bed must declare (`stats socket ... level admin`). */
export const LB_RUNTIME_API = `${LB_DIR}/admin.sock`;
export const LB_HTTP_PORT = 80;

export function starterConfig(address: string): string {
  return [
    '# Starter config of the test bed (scripts/hosts): replace it, keeping the stats socket path.',
    'global',
    `  stats socket ${LB_RUNTIME_API} mode 600 level admin`,
    '  stats timeout 10s',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '',
    'frontend cc_public',
    `  bind ${address}:${LB_HTTP_PORT}`,
    '  default_backend cc_app',
    '',
    'backend cc_app',
    '  balance roundrobin',
    '',
  ].join('\n');
}

export async function writeStarterConfig(host: HostState): Promise<void> {
  const u = DEPLOY_USER;
  await execInHost(host, ['install', '-d', '-m', '0700', '-o', u, '-g', u, LB_DIR]);
  await writeInHost(host, LB_CONFIG, starterConfig(host.address), u, 0o600);
}

/** One Runtime API command, sent inside the LB host (for readiness; tests go through SSH). */
export async function runtimeApiInHost(host: HostState, command: string): Promise<string> {
  return (await execInHost(host, ['socat', '-t', '2', '-', `UNIX-CONNECT:${LB_RUNTIME_API}`], { input: `${command}\n`, timeoutMs: 5_000 })).stdout;
}

/** Checks LB_CONFIG, starts HAProxy and waits until its Runtime API answers. */
export async function startHaproxy(state: FleetState, host: HostState): Promise<ProcRef> {
  const asUser = ['setpriv', `--reuid=${DEPLOY_USER}`, `--regid=${DEPLOY_USER}`, '--init-groups', '--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service', '--'];
  const check = await execInHost(host, [...asUser, '/usr/sbin/haproxy', '-c', '-q', '-f', LB_CONFIG], { allowFailure: true });
  if (check.code !== 0) throw new FleetError('setup_failed', `haproxy on ${host.name} rejects ${LB_CONFIG}: ${(check.stderr || check.stdout).slice(-1500)}`);
  const ref = startInHost(state, host, 'haproxy', [...asUser, '/usr/sbin/haproxy', '-db', '-f', LB_CONFIG]);
  try {
    await waitFor(`HAProxy's Runtime API on ${host.name}`, async () => {
      if (!isAlive(ref)) throw new FleetError('setup_failed', 'haproxy exited (see its log in the fleet directory)');
      return (await runtimeApiInHost(host, 'show info')).includes('Pid:') ? true : undefined;
    }, 10_000);
  } catch (err) {
    throw new FleetError('setup_failed', `haproxy on ${host.name}: ${errorMessage(err)}`, { cause: err });
  }
  return ref;
}
