import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_PORT, PG_PORT, REDIS_PORT, startKafka, startKafkaLoopbackRelay, startPostgres, startRedis } from './data-services.js';
import { FleetError, errorMessage } from './errors.js';
import { DEPLOY_USER, ensureDeployUser, execInHost, hostDir, HOST_HOME, HOST_ROOT, keygen, prepareSshd, startAnchor, startSshd, writeInHost, type HostExecOptions } from './host-setup.js';
import { LB_CONFIG, LB_DIR, LB_HTTP_PORT, LB_RUNTIME_API, startHaproxy, writeStarterConfig } from './lb-service.js';
import { clearNetem, setNetem, showNetem, type NetemOptions } from './impair.js';
import { createNetwork, gatewayAddress, setLink, subnetCidr } from './network.js';
import { preflight } from './preflight.js';
import { isAlive, procRef, run, sleepSync, type ExecResult, type ProcRef, type RunOptions } from './proc.js';
import { claimSubnet, loadState, listFleetDirs, newFleetState, saveState, SUBNET_PREFIX, type FleetState, type HostRole, type HostState } from './state.js';
import { reapFleets, teardownFleet } from './teardown.js';

// A fleet of real hosts on one machine (issue 14's test bed): a bridge, one network namespace
// per host with its own address, Debian's sshd in each, HAProxy on the LB host, PostgreSQL,
// Redis and the Kafka mock on the data host. See README.md in this folder.

export type { ExecResult, NetemOptions, HostRole };
export { FleetError } from './errors.js';

export interface FleetOptions {
  /** App hosts, 1..4 (default 2). */
  appHosts?: number;
  /** A load-balancer host running HAProxy (default true). */
  withLb?: boolean;
  /** A data host running PostgreSQL 15, Redis and the Kafka mock (default true). */
  withData?: boolean;
  /** A label for logs and `cli.ts list` (default "fleet"). */
  name?: string;
  /** Size of each host's private disk (tmpfs on /srv/ccfleet), in MiB (default 1024). */
  diskMb?: number;
  /** Keep the fleet after this process exits (cli.ts up); otherwise it dies with its creator. */
  detached?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface FleetHost {
  /** lb-1, app-1..app-4, data-1. */
  readonly name: string;
  readonly role: HostRole;
  /** The host's only address (on the fleet bridge). */
  readonly address: string;
  readonly netns: string;
  /** The host's SSH public key as pinned in knownHosts ("ssh-ed25519 AAAA…"). */
  readonly hostKey: string;
}

export type HostRef = string | FleetHost;

export interface LbEndpoints {
  readonly host: FleetHost;
  /** Where HAProxy's frontend listens (the starter config; a replacing config should keep it). */
  readonly http: { readonly host: string; readonly port: number };
  /** The Runtime API socket on the LB host (reach it over SSH only). */
  readonly runtimeApi: string;
  /** The config HAProxy (re)starts from, on the LB host, owned by the deploy user. */
  readonly configPath: string;
  /** HAProxy's directory on the LB host (config, maps, socket), owned by the deploy user. */
  readonly dir: string;
}

export interface DataEndpoints {
  readonly host: FleetHost;
  readonly postgres: { readonly host: string; readonly port: number; readonly user: 'postgres' };
  readonly redis: { readonly host: string; readonly port: number };
  /** Bootstrap address; works from app hosts (and the data host), see README "Kafka". */
  readonly kafkaBrokers: readonly string[];
  /** postgres://postgres@DATA:5432/<database> (trust on the fleet subnet). */
  databaseUrl(database?: string): string;
  readonly redisUrl: string;
}

export interface SshOptions {
  /** Use OpenSSH connection multiplexing (ControlMaster=auto, ControlPersist 60 s). Default true. */
  multiplex?: boolean;
  /** ConnectTimeout in seconds (default 5). */
  connectTimeoutS?: number;
}

export interface WriteFileOptions {
  /** Owner: the deploy user (default) or root. */
  owner?: 'user' | 'root';
  /** File mode (default 0o600). */
  mode?: number;
}

const live = new Set<Fleet>();

export class Fleet {
  readonly #state: FleetState;
  #destroyed = false;
  /** Milliseconds createFleet took (0 for a fleet opened from its record). */
  createMs = 0;
  /** Milliseconds destroy() took (after it ran). */
  destroyMs = 0;

  constructor(state: FleetState) {
    this.#state = state;
  }

  get id(): string { return this.#state.id; }
  /** The process whose exit ends the fleet (null: made by `cli.ts up`, kept until `down`). */
  get owner(): ProcRef | null { return this.#state.owner; }
  get name(): string { return this.#state.name; }
  /** The fleet's directory in the root namespace (keys, configs, logs): root-only. */
  get dir(): string { return this.#state.dir; }
  /** 10.77.X.0/24. */
  get subnet(): string { return subnetCidr(this.#state.subnet); }
  /** The root namespace's address on the bridge (where the conductor's connections come from). */
  get gateway(): string { return gatewayAddress(this.#state.subnet); }
  get bridge(): string { return this.#state.bridge; }
  /** The deploy user on every host. */
  get user(): string { return this.#state.user; }
  /** The deploy user's home on every host (private per host): the agent's home and artifact store. */
  get home(): string { return HOST_HOME; }
  /** Each host's private disk. */
  get hostRoot(): string { return HOST_ROOT; }
  /** The conductor's private key (ed25519, no passphrase, 0600). */
  get clientKey(): string { return join(this.dir, 'client_ed25519'); }
  /** known_hosts pinning every host's key, by address. */
  get knownHosts(): string { return join(this.dir, 'known_hosts'); }
  get hosts(): readonly FleetHost[] { return this.#state.hosts.map(view); }
  get apps(): FleetHost[] { return this.hosts.filter((h) => h.role === 'app'); }

  get lb(): LbEndpoints | undefined {
    const h = this.hosts.find((x) => x.role === 'lb');
    return h && { host: h, http: { host: h.address, port: LB_HTTP_PORT }, runtimeApi: LB_RUNTIME_API, configPath: LB_CONFIG, dir: LB_DIR };
  }

  get data(): DataEndpoints | undefined {
    const h = this.hosts.find((x) => x.role === 'data');
    if (!h) return undefined;
    const a = h.address;
    return {
      host: h,
      postgres: { host: a, port: PG_PORT, user: 'postgres' },
      redis: { host: a, port: REDIS_PORT },
      kafkaBrokers: [`${a}:${KAFKA_PORT}`],
      databaseUrl: (db = 'postgres') => `postgres://postgres@${a}:${PG_PORT}/${db}`,
      redisUrl: `redis://${a}:${REDIS_PORT}`,
    };
  }

  host(ref: HostRef): FleetHost {
    return view(this.#host(ref));
  }

  /**
   * OpenSSH client options for the fleet (put them before the destination; they suit scp and
   * sftp too): pinned known_hosts with StrictHostKeyChecking=yes, the fleet's key only, never a
   * password, and connection multiplexing through a control socket in the fleet directory.
   */
  sshOptions(o: SshOptions = {}): string[] {
    const cm = join(this.dir, 'cm');
    const mux = o.multiplex ?? true;
    if (mux) mkdirSync(cm, { recursive: true, mode: 0o700 });
    const opt = (kv: string) => ['-o', kv];
    return [
      '-F', '/dev/null', '-i', this.clientKey,
      ...opt('IdentitiesOnly=yes'), ...opt('IdentityAgent=none'),
      ...opt(`UserKnownHostsFile=${this.knownHosts}`), ...opt('GlobalKnownHostsFile=/dev/null'),
      ...opt('StrictHostKeyChecking=yes'), ...opt('UpdateHostKeys=no'), ...opt('CheckHostIP=no'),
      ...opt('BatchMode=yes'), ...opt('PasswordAuthentication=no'), ...opt('KbdInteractiveAuthentication=no'),
      ...opt(`ConnectTimeout=${o.connectTimeoutS ?? 5}`), ...opt('ServerAliveInterval=2'), ...opt('ServerAliveCountMax=3'),
      ...opt('LogLevel=ERROR'),
      ...(mux ? [...opt('ControlMaster=auto'), ...opt(`ControlPath=${cm}/%C`), ...opt('ControlPersist=60')] : [...opt('ControlMaster=no'), ...opt('ControlPath=none')]),
    ];
  }

  /** user@address of the host. */
  destination(ref: HostRef): string {
    return `${this.user}@${this.#host(ref).address}`;
  }

  /** `ssh` arguments up to the remote command: sshOptions(o) then destination(host). */
  sshArgs(ref: HostRef, o: SshOptions = {}): string[] {
    return [...this.sshOptions(o), this.destination(ref)];
  }

  /** Runs a shell command on the host over SSH as the deploy user (sshArgs; exit code in the result). */
  ssh(ref: HostRef, command: string, o: SshOptions & RunOptions = {}): Promise<ExecResult> {
    return run('ssh', [...this.sshArgs(ref, o), command], { allowFailure: true, timeoutMs: 30_000, ...o });
  }

  /**
   * Runs argv inside the host's namespaces, as root (or the deploy user), bypassing SSH. For test
   * setup and assertions only: a test of a deploy target must not use it to shortcut SSH.
   */
  exec(ref: HostRef, argv: readonly string[], o: HostExecOptions = {}): Promise<ExecResult> {
    return execInHost(this.#host(ref), argv, o);
  }

  /** Writes a file on the host's own filesystem (test setup; see exec). */
  async writeFile(ref: HostRef, path: string, content: string | Buffer, o: WriteFileOptions = {}): Promise<void> {
    const owner = o.owner === 'root' ? 'root' : this.user;
    await writeInHost(this.#host(ref), path, content, owner, o.mode ?? 0o600);
  }

  /** Reads a file from the host's own filesystem (test assertions; see exec). */
  async readFile(ref: HostRef, path: string): Promise<string> {
    return (await this.exec(ref, ['cat', '--', path])).stdout;
  }

  // --- faults ---------------------------------------------------------------------------

  /** Pulls the host's cable: its veth goes down; nothing reaches it or leaves it. */
  async partition(ref: HostRef): Promise<void> { await setLink(this.#host(ref), false); }
  /** Plugs the cable back. */
  async heal(ref: HostRef): Promise<void> { await setLink(this.#host(ref), true); }
  /** Delays and/or drops what the host sends on its link (see impair.ts: netfilter, as this kernel has no netem). */
  async netem(ref: HostRef, o: NetemOptions): Promise<void> {
    await setNetem(this.#state, this.#host(ref), o);
    this.#save();
  }

  /** Removes the host's delay and loss. */
  async clearNetem(ref: HostRef): Promise<void> {
    await clearNetem(this.#host(ref));
    this.#save();
  }

  /** The host's impairment rules (`iptables -S OUTPUT` inside the host). */
  async netemRules(ref: HostRef): Promise<string> { return showNetem(this.#host(ref)); }

  /** Kills the host's sshd listener (SIGKILL): new connections are refused; open sessions live on. */
  async killSshd(ref: HostRef): Promise<void> {
    const h = this.#host(ref);
    const sshd = h.services['sshd'];
    if (sshd) killAndWait(sshd);
    delete h.services['sshd'];
    this.#save();
  }

  /** Starts the host's sshd again if it is not running. */
  async startSshd(ref: HostRef): Promise<void> {
    const h = this.#host(ref);
    const sshd = h.services['sshd'];
    if (sshd && isAlive(sshd)) return;
    h.services['sshd'] = await startSshd(this.#state, h);
    this.#save();
  }

  /** Gives the host a new host key (sshd restarted). known_hosts keeps the old one unless pin. */
  async changeHostKey(ref: HostRef, o: { pin?: boolean } = {}): Promise<string> {
    const h = this.#host(ref);
    await this.killSshd(h.name);
    h.hostKey = await prepareSshd(this.#state, h);
    if (o.pin) writeKnownHosts(this.#state);
    await this.startSshd(h.name);
    return h.hostKey;
  }

  /** Empties the deploy user's authorized_keys on the host: the fleet's key is refused there. */
  async revokeClientKey(ref: HostRef): Promise<void> {
    await this.writeFile(ref, `${HOST_HOME}/.ssh/authorized_keys`, '');
  }

  /** Authorizes the fleet's client key on the host again. */
  async authorizeClientKey(ref: HostRef): Promise<void> {
    await this.writeFile(ref, `${HOST_HOME}/.ssh/authorized_keys`, readFileSync(`${this.clientKey}.pub`));
  }

  /** Kills HAProxy on the LB host (SIGKILL: runtime state is lost, as on a host restart) and starts it from its config. */
  async restartLb(): Promise<void> {
    const h = this.#state.hosts.find((x) => x.role === 'lb');
    if (!h) throw new FleetError('unknown_host', `fleet ${this.id} has no load-balancer host`);
    const old = h.services['haproxy'];
    if (old) killAndWait(old);
    delete h.services['haproxy'];
    h.services['haproxy'] = await startHaproxy(this.#state, h);
    this.#save();
  }

  /** Kills every process of the fleet and removes its namespaces, interfaces and files. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    const t0 = performance.now();
    teardownFleet(this.#state);
    this.#destroyed = true;
    this.destroyMs = Math.round(performance.now() - t0);
    forget(this);
  }

  /** Sync teardown for exit and signal handlers. */
  destroySync(): void {
    if (this.#destroyed) return;
    teardownFleet(this.#state);
    this.#destroyed = true;
  }

  get destroyed(): boolean { return this.#destroyed; }

  #host(ref: HostRef): HostState {
    if (this.#destroyed) throw new FleetError('destroyed', `fleet ${this.id} was destroyed`);
    const name = typeof ref === 'string' ? ref : ref.name;
    const h = this.#state.hosts.find((x) => x.name === name);
    if (!h) throw new FleetError('unknown_host', `fleet ${this.id} has no host "${name}" (hosts: ${this.#state.hosts.map((x) => x.name).join(', ')})`);
    return h;
  }

  #save(): void {
    saveState(this.#state);
  }
}

function view(h: HostState): FleetHost {
  return { name: h.name, role: h.role, address: h.address, netns: h.netns, hostKey: h.hostKey ?? '' };
}

function killAndWait(ref: ProcRef): void {
  if (!isAlive(ref)) return;
  process.kill(ref.pid, 'SIGKILL');
  const deadline = Date.now() + 5_000;
  while (isAlive(ref) && Date.now() < deadline) sleepSync(10);
}

function writeKnownHosts(state: FleetState): void {
  const lines = state.hosts.map((h) => `# ${h.name}\n${h.address} ${h.hostKey}`);
  writeFileSync(join(state.dir, 'known_hosts'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

// --- exit and signal handlers -----------------------------------------------------------

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function destroyLive(): void {
  for (const f of live) {
    try {
      f.destroySync();
    } catch (err) {
      console.error(`test bed: ${errorMessage(err)}`);
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  destroyLive();
  unhook();
  // Die of the signal as we would have without our handler, unless someone else handles it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function remember(f: Fleet): void {
  if (live.size === 0) {
    process.on('exit', destroyLive);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  live.add(f);
}

function forget(f: Fleet): void {
  if (live.delete(f) && live.size === 0) unhook();
}

function unhook(): void {
  process.off('exit', destroyLive);
  for (const s of SIGNALS) process.off(s, onSignal);
}

// --- creation -----------------------------------------------------------------------------

function plan(state: FleetState, o: Required<Pick<FleetOptions, 'appHosts' | 'withLb' | 'withData'>>): HostState[] {
  const hosts: Array<[string, HostRole, number]> = [];
  if (o.withLb) hosts.push(['lb-1', 'lb', 2]);
  if (o.withData) hosts.push(['data-1', 'data', 3]);
  for (let i = 1; i <= o.appHosts; i++) hosts.push([`app-${i}`, 'app', 10 + i]);
  return hosts.map(([name, role, octet], i) => ({
    name, role, address: `${SUBNET_PREFIX}.${state.subnet}.${octet}`, netns: `${state.id}-${name}`, veth: `${state.id}-${i}`, services: {},
  }));
}

/** Creates a fleet and waits until every host's services answer. On failure nothing is left behind. */
export async function createFleet(o: FleetOptions = {}): Promise<Fleet> {
  const t0 = performance.now();
  const appHosts = o.appHosts ?? 2;
  const withLb = o.withLb ?? true;
  const withData = o.withData ?? true;
  const diskMb = o.diskMb ?? 1024;
  const log = o.log ?? (() => undefined);
  if (!Number.isInteger(appHosts) || appHosts < 1 || appHosts > 4) throw new FleetError('usage', `appHosts must be 1..4, got ${appHosts}`);
  if (!Number.isInteger(diskMb) || diskMb < 16) throw new FleetError('usage', `diskMb must be an integer >= 16, got ${diskMb}`);
  const name = o.name ?? 'fleet';
  if (!/^[\w.-]{1,40}$/.test(name)) throw new FleetError('usage', `name must be 1..40 of [A-Za-z0-9_.-], got "${name}"`);
  preflight({ lb: withLb, data: withData });
  reapFleets({ log });
  ensureDeployUser();
  mkdirSync(HOST_ROOT, { recursive: true, mode: 0o755 }); // the mount point of every host's private disk

  const state = newFleetState(name, o.detached ? null : procRef(process.pid), DEPLOY_USER);
  const fleet = new Fleet(state);
  if (!o.detached) remember(fleet);
  try {
    state.subnet = claimSubnet(state.id);
    state.hosts = plan(state, { appHosts, withLb, withData });
    saveState(state); // every name is recorded before it exists
    log(`fleet ${state.id}: ${state.hosts.map((h) => `${h.name}=${h.address}`).join(' ')}`);
    const clientPub = join(state.dir, 'client_ed25519.pub');
    const [, ...hostKeys] = await Promise.all([keygen(join(state.dir, 'client_ed25519'), `conductor@${state.id}`), ...state.hosts.map((h) => prepareSshd(state, h))]);
    state.hosts.forEach((h, i) => (h.hostKey = hostKeys[i]));
    writeKnownHosts(state);
    await createNetwork(state);
    await Promise.all(state.hosts.map(async (h) => {
      h.anchor = await startAnchor(state, h, { diskMb, clientPub });
    }));
    saveState(state);
    const data = state.hosts.find((h) => h.role === 'data');
    const kafka = data ? startKafka(state, data) : undefined;
    await Promise.all(state.hosts.map(async (h) => {
      h.services['sshd'] = await startSshd(state, h);
      saveState(state);
      if (h.role === 'lb') {
        await writeStarterConfig(h);
        h.services['haproxy'] = await startHaproxy(state, h);
      } else if (h.role === 'data') {
        const [pg, redis, k] = await Promise.all([startPostgres(state, h), startRedis(state, h), kafka!]);
        Object.assign(h.services, { postgres: pg, redis, kafka: k.mock, 'kafka-relay': k.relay });
        state.kafkaPort = k.port;
      } else if (h.role === 'app' && kafka && data) {
        h.services['kafka-relay'] = await startKafkaLoopbackRelay(state, h, data, (await kafka).port);
      }
      saveState(state);
      log(`fleet ${state.id}: ${h.name} ready (${Object.keys(h.services).join(', ')})`);
    }));
    saveState(state);
  } catch (err) {
    let cleanup = '';
    try {
      fleet.destroySync();
    } catch (e) {
      cleanup = ` (and its teardown failed: ${errorMessage(e)})`;
    }
    forget(fleet);
    const logs = `logs were in ${state.dir}/hosts`;
    throw new FleetError(err instanceof FleetError && err.code !== 'command_failed' ? err.code : 'setup_failed', `creating fleet ${state.id} failed: ${errorMessage(err)}${cleanup} (${logs})`, { cause: err });
  }
  fleet.createMs = Math.round(performance.now() - t0);
  log(`fleet ${state.id} ready in ${fleet.createMs} ms`);
  return fleet;
}

/** A fleet for one test file: destroyed by t.after (and by exit/signal handlers if that never runs). */
export async function createTestFleet(t: { after(fn: () => unknown): void }, o: FleetOptions = {}): Promise<Fleet> {
  const fleet = await createFleet({ ...o, detached: false });
  t.after(() => fleet.destroy());
  return fleet;
}

/** Reopens a recorded fleet (by id or name), e.g. one made by `cli.ts up`. */
export function openFleet(idOrName: string): Fleet {
  const states = listFleetDirs().map(loadState).filter((s): s is FleetState => s !== null);
  const matches = states.filter((s) => s.id === idOrName || s.name === idOrName);
  if (matches.length !== 1) {
    throw new FleetError('unknown_host', matches.length ? `"${idOrName}" names ${matches.length} fleets (${matches.map((s) => s.id).join(', ')}): use an id` : `no fleet "${idOrName}" (see cli.ts list)`);
  }
  return new Fleet(matches[0]!);
}

/** Every recorded fleet. */
export function listFleets(): FleetState[] {
  return listFleetDirs().map(loadState).filter((s): s is FleetState => s !== null);
}

export { reapFleets, hostDir };
