import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FleetError, errorMessage } from './errors.js';
import { procRef, run, runSync, sleepSync, startDetached, tcpConnect, waitFor, type ExecResult, type ProcRef, type RunOptions } from './proc.js';
import type { FleetState, HostState } from './state.js';

// One host of the fleet = a network namespace plus a mount namespace. The mount namespace gives
// the host a private disk (a tmpfs on HOST_ROOT) and a private /tmp, so what an app host holds
// (agent home, artifacts) is invisible from the root namespace: the conductor can only see it
// through SSH, like a real remote machine. Everything else (/usr, node, this checkout) is shared
// with the machine, like a host image.

/** The deploy user on every host (one system user for all fleets; created once, kept). */
export const DEPLOY_USER = 'ccfleet';
/** Each host's private disk (a tmpfs in the host's own mount namespace). */
export const HOST_ROOT = '/srv/ccfleet';
/** The deploy user's home on every host: the agent's home and artifact store. */
export const HOST_HOME = `${HOST_ROOT}/home`;
export const SSHD = '/usr/sbin/sshd';
/** This checkout (node, its packages and the fleet's own scripts are shared like a host image). */
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/**
 * The private /tmp would hide a checkout that itself lives under /tmp (CI clones there), so it is
 * first bound onto the private disk, then bound back at its own path on top of the new /tmp.
 */
function keepCheckoutVisible(): { before: string[]; after: string[] } {
  if (!CHECKOUT.startsWith('/tmp/')) return { before: [], after: [] };
  const stash = `${HOST_ROOT}/.checkout`;
  return {
    before: [`mkdir -p ${stash}`, `mount --bind '${CHECKOUT}' ${stash}`],
    after: [`mkdir -p '${CHECKOUT}'`, `mount --bind ${stash} '${CHECKOUT}'`],
  };
}

export function hostDir(state: FleetState, host: HostState): string {
  return join(state.dir, 'hosts', host.name);
}

/** Creates the deploy user if missing. useradd takes a lock on /etc/passwd; concurrent fleets retry. */
export function ensureDeployUser(): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (runSync('id', ['-u', DEPLOY_USER]).code === 0) return;
    // Password field '*': no password can ever match, but the account is not "locked" (sshd
    // without PAM refuses even key logins to accounts whose password starts with '!').
    const r = runSync('useradd', ['--system', '--no-create-home', '--home-dir', HOST_HOME, '--shell', '/bin/bash', '--password', '*', '--comment', 'CC test bed deploy user (scripts/hosts)', DEPLOY_USER]);
    if (r.code === 0 || r.code === 9) return; // 9: created meanwhile by a concurrent fleet
    if (r.code !== 10) throw new FleetError('setup_failed', `useradd ${DEPLOY_USER} failed (${r.code}): ${r.stderr}`);
    sleepSync(50 + Math.random() * 100); // 10: /etc/passwd locked by a concurrent useradd
  }
  throw new FleetError('setup_failed', `useradd ${DEPLOY_USER}: /etc/passwd stayed locked`);
}

export async function keygen(path: string, comment: string): Promise<string> {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

/**
 * Starts the host's anchor inside its network namespace: it configures the host's side of the
 * link, mounts the private disk and /tmp, seeds the deploy user's authorized_keys, then sleeps
 * forever holding the mount namespace that every later process of the host joins (nsenter).
 */
export async function startAnchor(state: FleetState, host: HostState, o: { diskMb: number; clientPub: string }): Promise<ProcRef> {
  const u = DEPLOY_USER;
  const keep = keepCheckoutVisible();
  const script = [
    'set -e',
    'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
    'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6',
    `ip addr add ${host.address}/24 dev eth0`,
    'ip link set lo up',
    'ip link set eth0 up',
    `mount -t tmpfs -o size=${o.diskMb}m,mode=0755 ${state.id}-${host.name} ${HOST_ROOT}`,
    ...keep.before,
    `mount -t tmpfs -o size=256m,mode=1777 ${state.id}-${host.name}-tmp /tmp`,
    ...keep.after,
    `install -d -m 0700 -o ${u} -g ${u} ${HOST_HOME} ${HOST_HOME}/.ssh`,
    `install -m 0600 -o ${u} -g ${u} ${o.clientPub} ${HOST_HOME}/.ssh/authorized_keys`,
    'echo ready',
    'exec sleep infinity',
  ].join('\n');
  const child = spawn('ip', ['netns', 'exec', host.netns, 'sh', '-c', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FleetError('timeout', `host ${host.name}: its namespace setup did not finish within 20 s: ${err}`)), 20_000);
    child.on('error', (e) => reject(new FleetError('setup_failed', `host ${host.name}: cannot run ip netns exec: ${e.message}`, { cause: e })));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new FleetError('setup_failed', `host ${host.name}: namespace setup exited ${code}: ${err.trim()}`));
    });
  });
  child.removeAllListeners('exit');
  child.stdout.destroy();
  child.stderr.destroy();
  child.unref();
  return procRef(child.pid);
}

/** argv that runs a command inside the host (its network and mount namespaces), as root or the deploy user. */
export function hostArgv(host: HostState, argv: readonly string[], asUser = false): string[] {
  if (!host.anchor) throw new FleetError('setup_failed', `host ${host.name} has no namespace anchor`);
  const enter = ['-t', String(host.anchor.pid), '-m', '-n'];
  if (!asUser) return [...enter, '--', ...argv];
  return [...enter, `--wd=${HOST_HOME}`, '--', 'setpriv', `--reuid=${DEPLOY_USER}`, `--regid=${DEPLOY_USER}`, '--init-groups', '--reset-env', '--', ...argv];
}

export interface HostExecOptions extends RunOptions {
  /** Run as the deploy user instead of root. */
  asUser?: boolean;
}

export function execInHost(host: HostState, argv: readonly string[], opts: HostExecOptions = {}): Promise<ExecResult> {
  return run('nsenter', hostArgv(host, argv, opts.asUser), opts);
}

/**
 * Writes a file inside the host (atomically: temp file, then rename), owned by owner with mode.
 * Node gives children a socket, not a pipe, as stdin, so `install /dev/stdin` cannot be used.
 */
export async function writeInHost(host: HostState, path: string, content: string | Buffer, owner: string, mode: number): Promise<void> {
  const script = 'set -e; umask 077; t="$1.ccf-tmp"; cat > "$t"; chown "$2:$2" "$t"; chmod "$3" "$t"; mv -f "$t" "$1"';
  await execInHost(host, ['sh', '-c', script, 'sh', path, owner, mode.toString(8)], { input: content });
}

/** Starts a long-lived process inside the host; output goes to the fleet's log for that host. */
export function startInHost(state: FleetState, host: HostState, service: string, argv: readonly string[]): ProcRef {
  const child = startDetached('nsenter', hostArgv(host, argv), join(hostDir(state, host), `${service}.log`));
  return procRef(child.pid);
}

function sshdConfig(state: FleetState, host: HostState): string {
  const dir = hostDir(state, host);
  return [
    '# sshd of one test-bed host (scripts/hosts). Key-only, one user. Only local (-L) forwards:',
    '# the conductor reaches agents and the HAProxy socket through stdio or a forwarded unix',
    '# socket, and nothing can make the host listen on a new port (no -R). sshd checks unix-socket',
    '# forwards against the TCP permissions, so AllowTcpForwarding must be "local", not "no".',
    `ListenAddress ${host.address}:22`,
    `HostKey ${dir}/ssh_host_ed25519_key`,
    'PidFile none',
    'UsePAM no',
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    'PermitRootLogin no',
    `AllowUsers ${DEPLOY_USER}`,
    'StrictModes yes',
    'AllowTcpForwarding local',
    'GatewayPorts no',
    'AllowStreamLocalForwarding local',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitUserEnvironment no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** Writes the host key (new one each call) and sshd_config; returns the public key. */
export async function prepareSshd(state: FleetState, host: HostState): Promise<string> {
  const dir = hostDir(state, host);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'sshd_config'), sshdConfig(state, host), { mode: 0o600 });
  return keygen(join(dir, 'ssh_host_ed25519_key'), `${host.name}@${state.id}`);
}

/** Starts `sshd -D` inside the host and waits until port 22 of its address accepts connections. */
export async function startSshd(state: FleetState, host: HostState): Promise<ProcRef> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
  const dir = hostDir(state, host);
  const ref = startInHost(state, host, 'sshd', [SSHD, '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')]);
  try {
    await waitFor(`sshd of ${host.name} listening on ${host.address}:22`, async () => ((await tcpConnect(host.address, 22, 500)) === null ? undefined : true), 10_000);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'sshd.log'), 'utf8').slice(-1500);
    } catch {
      // no log yet
    }
    throw new FleetError('setup_failed', `${errorMessage(err)}\n${log}`, { cause: err });
  }
  return ref;
}
