import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { run, type RunResult } from '../artifacts-fixture.js';
import { storageIn, type Storage } from './image-stage.js';
import { teardownNode, type NodeState } from './podman-teardown.js';

// One Kubernetes "node" for podman, made of things this test owns:
// - a network namespace, joined to the host by a veth pair (host 10.a.b.1, node 10.a.b.2).
//   Every podman command runs inside it (nsenter), so podman's CNI bridge, its iptables rules
//   and the ports it publishes live and die with the namespace, never on the host. Podman 4.3
//   publishes every containerPort on the node (as hostPort = containerPort), so the pods'
//   fixed ports (3000, 8080) are taken in the namespace, not on the shared machine;
// - containers storage, run root and CNI configuration in a folder of the test (vfs);
// - a containers.conf that makes podman work here: runc as the runtime and no default
//   ulimits (this machine refuses RLIMIT_NOFILE changes: "error setting rlimit type 7");
// - TCP relays from the host side of the veth to the host's loopback, because PostgreSQL
//   and Redis listen only on 127.0.0.1: a pod reaches them at 10.a.b.1 (the pods' traffic is
//   masqueraded to the node's address by podman's bridge), and they see a 127.0.0.1 client.
// The state is written to node.json first, so the teardown (also run by test-images.sh's
// trap when the test process dies) finds everything even after a crash.

const CONTAINERS_CONF = `# Written by the image test (test/support/podman-node.ts).
[containers]
# The default ulimits make runc fail here: "error setting rlimit type 7: operation not permitted".
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

function routesInUse(): Promise<string> {
  return run('ip', ['-4', 'route', 'show', 'table', 'all']).then((r) => r.stdout);
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export class PodmanNode {
  readonly storage: Storage;
  private readonly relays: Server[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(readonly state: NodeState) {
    this.storage = storageIn(state.dir);
  }

  /** The host as the pods see it (relays listen here). */
  get hostAddress(): string { return this.state.hostAddress; }
  /** The node's address: podman publishes the pods' ports here. */
  get nodeAddress(): string { return this.state.nodeAddress; }

  static async create(dir: string): Promise<PodmanNode> {
    const id = randomBytes(4).toString('hex');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const used = await routesInUse();
    // A /30 of 10.200-249.x.x that no route on this machine uses (other tests make namespaces too).
    let prefix: string | undefined;
    for (let i = 0; i < 20 && !prefix; i++) {
      const [a, b, c] = randomBytes(3);
      const p = `10.${200 + (a! % 50)}.${b!}.`;
      if (!used.includes(p)) prefix = `${p}${(c! % 64) * 4}`;
    }
    if (!prefix) throw new Error('no free 10.2xx.x.x/30 for the node veth');
    const base = Number(prefix.split('.')[3]);
    const net = prefix.split('.').slice(0, 3).join('.');
    const state: NodeState = {
      dir,
      netns: `ccpods-${id}`,
      vethHost: `ccp${id}h`,
      network: `ccpods-${id}`,
      hostAddress: `${net}.${base + 1}`,
      nodeAddress: `${net}.${base + 2}`,
    };
    writeFileSync(join(dir, 'node.json'), JSON.stringify(state));
    writeFileSync(join(dir, 'containers.conf'), CONTAINERS_CONF);
    const node = new PodmanNode(state);
    try {
      await must('ip', ['netns', 'add', state.netns]);
      await must('ip', ['-n', state.netns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['link', 'add', state.vethHost, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', state.netns]);
      await must('ip', ['addr', 'add', `${state.hostAddress}/30`, 'dev', state.vethHost]);
      await must('ip', ['link', 'set', state.vethHost, 'up']);
      await must('ip', ['-n', state.netns, 'addr', 'add', `${state.nodeAddress}/30`, 'dev', 'eth0']);
      await must('ip', ['-n', state.netns, 'link', 'set', 'eth0', 'up']);
      await node.podmanOk('network', 'create', '--disable-dns', state.network);
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  /** podman with this node's storage and configuration, inside the node's network namespace. */
  podman(...args: string[]): Promise<RunResult> {
    return run('nsenter', [`--net=/run/netns/${this.state.netns}`, 'podman', ...this.globalFlags(), ...args], { env: this.env() });
  }

  /** The same on the host's network (to pull from the registry on the host's loopback). */
  podmanOnHost(...args: string[]): Promise<RunResult> {
    return run('podman', [...this.globalFlags(), ...args], { env: this.env() });
  }

  async podmanOk(...args: string[]): Promise<string> {
    const r = await this.podman(...args);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-3000)}`);
    return r.stdout;
  }

  /** Plays Kubernetes YAML on the node's network. */
  async play(name: string, yaml: string, ...flags: string[]): Promise<string> {
    const file = join(this.state.dir, `${name}.yaml`);
    writeFileSync(file, yaml, { mode: 0o600 });
    return this.podmanOk('kube', 'play', '--network', this.state.network, ...flags, file);
  }

  /** A podman secret from a file that only the test can read, removed right after. */
  async secret(name: string, content: string): Promise<void> {
    const file = join(this.state.dir, `secret-${name}.json`);
    writeFileSync(file, content, { mode: 0o600 });
    try {
      await this.podmanOk('secret', 'create', name, file);
    } finally {
      writeFileSync(file, '');
    }
  }

  /** Makes host 127.0.0.1:port reachable from the pods at hostAddress:port. */
  async relay(port: number): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(port, '127.0.0.1');
      for (const s of [client, upstream]) this.sockets.add(s);
      const end = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, this.state.hostAddress, () => resolve()));
    this.relays.push(server);
  }

  /** The main process's /proc status lines of a running container (as the host sees it). */
  async processStatus(container: string): Promise<Record<string, string>> {
    const pid = (await this.podmanOk('inspect', '--format', '{{.State.Pid}}', container)).trim();
    const lines = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
    return Object.fromEntries(lines.filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  }

  /** Everything removed: pods, containers, volumes, secrets, images, network, namespace, folders. Returns what was left behind. */
  async close(): Promise<string[]> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.relays.map((r) => new Promise((resolve) => r.close(resolve))));
    return existsSync(join(this.state.dir, 'node.json')) ? teardownNode(this.state) : [];
  }

  private globalFlags(): string[] {
    return [...this.storage.flags, '--network-config-dir', join(this.state.dir, 'cni'), '--tmpdir', join(this.state.dir, 'libpod-tmp')];
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, CONTAINERS_CONF: join(this.state.dir, 'containers.conf') };
  }
}
