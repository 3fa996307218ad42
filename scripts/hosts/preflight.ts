import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { FleetError } from './errors.js';
import { PG_BIN } from './data-services.js';

// What the bed needs from the machine, checked before anything is created, so a missing
// privilege or package fails with one clear message (never a skipped test, never a half-made
// fleet). .ci/run installs every package named here.

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

function hasCap(bits: bigint, cap: number): boolean {
  return ((bits >> BigInt(cap)) & 1n) === 1n;
}

function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  if (name.startsWith('/')) return executable(name);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((d) => d && executable(join(d, name)));
}

export interface PreflightNeeds {
  lb: boolean;
  data: boolean;
}

/** Throws not_permitted or missing_tool, naming the fix; returns quietly when the machine fits. */
export function preflight(needs: PreflightNeeds): void {
  if (process.platform !== 'linux') throw new FleetError('not_permitted', `the test bed needs Linux network namespaces; this is ${process.platform}`);
  const caps = effectiveCaps();
  if (!hasCap(caps, CAP_NET_ADMIN) || !hasCap(caps, CAP_SYS_ADMIN)) {
    throw new FleetError(
      'not_permitted',
      `the test bed cannot create network namespaces: it needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), and this process runs as uid ${process.getuid?.()} with capabilities 0x${caps.toString(16)}. Run the tests as root, as CI does (.ci/run).`,
    );
  }
  const tools: Array<[string, string]> = [
    ['ip', 'iproute2'], ['tc', 'iproute2'], ['ss', 'iproute2'],
    ['nsenter', 'util-linux'], ['setpriv', 'util-linux'], ['mount', 'mount'], ['useradd', 'passwd'],
    ['/usr/sbin/sshd', 'openssh-server'], ['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'],
    ['socat', 'socat'], ['iptables', 'iptables'], ['/usr/bin/python3', 'python3'],
  ];
  if (needs.lb) tools.push(['/usr/sbin/haproxy', 'haproxy']);
  if (needs.data) tools.push([`${PG_BIN}/initdb`, 'postgresql-15'], ['pg_isready', 'postgresql-client'], ['redis-server', 'redis-server'], ['kcat', 'kcat']);
  const missing = tools.filter(([bin]) => !onPath(bin));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, p]) => p))];
    throw new FleetError('missing_tool', `the test bed needs ${missing.map(([b]) => b).join(', ')}: apt-get install ${pkgs.join(' ')} (.ci/run installs them)`);
  }
}
