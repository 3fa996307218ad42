import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

// Tears down a podman "node" of the image tests (podman-node.ts) from its node.json: pods,
// containers, volumes, secrets and the network inside its namespace, then every process
// still in the namespace, the namespace, the veth, CNI's address records, and the folder
// with the storage (so every image built or pulled for the test goes too). Synchronous and
// dependency-free so test-images.sh's trap can run it after the test process died:
//   node --import tsx apps/conductor/test/support/podman-teardown.ts <run-root>

export interface NodeState {
  dir: string;
  netns: string;
  vethHost: string;
  network: string;
  hostAddress: string;
  nodeAddress: string;
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** Returns what could not be removed (empty when all is gone). */
export function teardownNode(s: NodeState): string[] {
  const problems: string[] = [];
  const hasNetns = existsSync(`/run/netns/${s.netns}`);
  const env = { ...process.env, CONTAINERS_CONF: join(s.dir, 'containers.conf') };
  const flags = ['--storage-driver', 'vfs', '--root', join(s.dir, 'storage'), '--runroot', join(s.dir, 'run'), '--network-config-dir', join(s.dir, 'cni'), '--tmpdir', join(s.dir, 'libpod-tmp')];
  const podman = (...args: string[]) => (hasNetns ? sh('nsenter', [`--net=/run/netns/${s.netns}`, 'podman', ...flags, ...args], env) : sh('podman', [...flags, ...args], env));
  // Every network of the node (podman-compose makes its own): CNI keeps their address records globally.
  const networks = new Set([s.network, ...safeList(join(s.dir, 'cni')).filter((f) => f.endsWith('.conflist')).map((f) => f.slice(0, -'.conflist'.length))]);
  if (existsSync(join(s.dir, 'storage'))) {
    podman('pod', 'rm', '--all', '--force', '--time', '0');
    podman('rm', '--all', '--force', '--time', '0');
    podman('volume', 'rm', '--all', '--force');
    podman('secret', 'rm', '--all');
    for (const n of networks) podman('network', 'rm', '--force', n);
    const left = podman('ps', '--all', '--format', '{{.Names}}');
    if (left.code !== 0) problems.push(`podman ps -a failed: ${left.out}`);
    else if (left.out) problems.push(`containers left after removal: ${left.out.split('\n').join(', ')}`);
    const vols = podman('volume', 'ls', '--quiet');
    if (vols.out) problems.push(`volumes left after removal: ${vols.out.split('\n').join(', ')}`);
  }
  if (hasNetns) {
    // conmon and anything else podman left in the namespace: ours by construction.
    for (const pid of sh('ip', ['netns', 'pids', s.netns]).out.split('\n').filter(Boolean)) {
      problems.push(`process ${pid} still in ${s.netns} (killed)`);
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
    const del = sh('ip', ['netns', 'del', s.netns]);
    if (del.code !== 0) problems.push(`ip netns del ${s.netns}: ${del.out}`);
  }
  if (sh('ip', ['link', 'show', s.vethHost]).code === 0) sh('ip', ['link', 'del', s.vethHost]);
  for (const n of networks) rmSync(`/var/lib/cni/networks/${n}`, { recursive: true, force: true });
  // Container shm and netns bind mounts under the run root would make the removal fail.
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${s.dir}/`));
  for (const m of mounts.reverse()) sh('umount', ['-l', m]);
  try {
    rmSync(s.dir, { recursive: true, force: true });
  } catch (err) {
    problems.push(`cannot remove ${s.dir}: ${(err as Error).message}`);
  }
  return problems;
}

/** Kills every process whose command line names a path under root (a registry, a relay...). */
export function killProcessesUnder(root: string): string[] {
  const killed: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    if (!cmd.includes(`${root}/`)) continue;
    try { process.kill(Number(pid), 'SIGKILL'); killed.push(`${pid} ${cmd.trim().slice(0, 120)}`); } catch { /* gone meanwhile */ }
  }
  return killed;
}

/** Every node.json under root (one or two levels deep), torn down, and processes left under root killed. */
export function teardownAll(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const a of readdirSync(root)) {
    const p = join(root, a);
    if (existsSync(join(p, 'node.json'))) found.push(p);
    else if (existsSync(p) && !a.includes('.')) for (const b of safeList(p)) if (existsSync(join(p, b, 'node.json'))) found.push(join(p, b));
  }
  const problems = found.flatMap((dir) => teardownNode(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as NodeState));
  return [...problems, ...killProcessesUnder(root).map((p) => `process left running (killed): ${p}`)];
}

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: podman-teardown.ts <run-root>   (tears down every podman node of an image test run under it)');
    process.exit(64);
  }
  const problems = teardownAll(root);
  for (const p of problems) console.error(`teardown: ${p}`);
}
