import { existsSync, writeFileSync } from 'node:fs';
import { run } from './proc.js';
import { SUBNET_PREFIX, type FleetState, type HostState } from './state.js';

// The fleet's network: one bridge in the root namespace (which gets .1, so the conductor reaches
// hosts by address over the bridge and nothing else), and per host a network namespace joined
// to the bridge by a veth pair. Hosts get no default route: their only reachable addresses are
// the fleet's own subnet and their loopback. The host's own side (address, lo, eth0 up) is
// configured by its anchor (host-setup.ts), which already runs inside the namespace.

export function subnetCidr(x: number): string {
  return `${SUBNET_PREFIX}.${x}.0/24`;
}

export function gatewayAddress(x: number): string {
  return `${SUBNET_PREFIX}.${x}.1`;
}

/** Runs ip commands in one process (`ip -batch`): a fleet's network is ~20 commands. */
async function ipBatch(lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 30_000 });
}

// IPv6 would put link-local chatter (router solicitations, DAD) on the bridge for nothing: the
// fleet speaks IPv4 on its subnet only. Loopbacks keep ::1 (programs that bind "localhost").
function disableIpv6(ifname: string): void {
  const f = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
  if (existsSync(f)) writeFileSync(f, '1');
}

/** Creates the bridge, the namespaces and the veth pairs of state.hosts (recorded beforehand). */
export async function createNetwork(state: FleetState): Promise<void> {
  const br = state.bridge;
  await ipBatch([
    `link add ${br} type bridge`,
    ...state.hosts.flatMap((h) => [`netns add ${h.netns}`, `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`, `link set ${h.veth} master ${br}`]),
  ]);
  for (const ifname of [br, ...state.hosts.map((h) => h.veth)]) disableIpv6(ifname);
  await ipBatch([`addr add ${gatewayAddress(state.subnet)}/24 dev ${br}`, `link set ${br} up`, ...state.hosts.map((h) => `link set ${h.veth} up`)]);
}

/** Cuts the host off: its veth goes down, so no packet reaches it or leaves it (a pulled cable). */
export async function setLink(host: HostState, up: boolean): Promise<void> {
  await run('ip', ['link', 'set', host.veth, up ? 'up' : 'down']);
}
