import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from './errors.js';
import { runSync, type ProcRef } from './proc.js';

// The fleet's record on disk. Everything global a fleet creates (namespaces, interfaces, the
// subnet, processes) is written here *before* it is created, so a crashed run's leftovers can
// always be found and removed by the reaper (teardown.ts) from this file alone.

/** Every global name of the bed starts with this, so leftovers are recognisable. */
export const PREFIX = 'ccf-';
/** Fleets live under /run: gone at reboot, exactly like the namespaces they describe. */
export const BASE_DIR = process.env['CCFLEET_DIR'] ?? '/run/ccfleet';
/** The second octet of every fleet subnet: 10.77.X.0/24, X chosen free per fleet. */
export const SUBNET_PREFIX = '10.77';

export type HostRole = 'lb' | 'app' | 'data';

export interface HostState {
  name: string;
  role: HostRole;
  address: string;
  netns: string;
  /** The root-namespace end of the host's veth pair (a port of the fleet bridge). */
  veth: string;
  /** The host's SSH public key, as pinned in the fleet's known_hosts. */
  hostKey?: string;
  /** `sleep infinity` that holds the host's mount namespace (its private /srv/ccfleet and /tmp). */
  anchor?: ProcRef;
  /** Long-lived processes by service name: sshd, haproxy, postgres, redis, kafka, kafka-relay. */
  services: Record<string, ProcRef>;
}

export interface FleetState {
  version: 1;
  id: string;
  name: string;
  dir: string;
  createdAt: string;
  /** The process whose exit ends the fleet; null for a fleet made by `cli.ts up` (kept until `down`). */
  owner: ProcRef | null;
  /** X of 10.77.X.0/24, or -1 before one is claimed. */
  subnet: number;
  bridge: string;
  user: string;
  hosts: HostState[];
  /** The port the Kafka mock listens on (on the data host's loopback, relayed on app hosts). */
  kafkaPort?: number;
}

export function fleetDir(id: string): string {
  return join(BASE_DIR, id);
}

function recordPath(dir: string): string {
  return join(dir, 'fleet.json');
}

/** Creates the fleet's directory with a fresh id (exclusive mkdir), and its first record. */
export function newFleetState(name: string, owner: ProcRef | null, user: string): FleetState {
  mkdirSync(BASE_DIR, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = `${PREFIX}${randomBytes(3).toString('hex')}`;
    const dir = fleetDir(id);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    const state: FleetState = { version: 1, id, name, dir, createdAt: new Date().toISOString(), owner, subnet: -1, bridge: id, user, hosts: [] };
    saveState(state);
    return state;
  }
  throw new FleetError('setup_failed', `cannot create a fleet directory under ${BASE_DIR}`);
}

/** Atomic write: a reader (the reaper of a concurrent run) never sees half a record. */
export function saveState(state: FleetState): void {
  const tmp = `${recordPath(state.dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, recordPath(state.dir));
}

export function loadState(dir: string): FleetState | null {
  try {
    const s = JSON.parse(readFileSync(recordPath(dir), 'utf8')) as FleetState;
    return s.version === 1 && typeof s.id === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** Ids (= directory names) of every fleet recorded under BASE_DIR. */
export function listFleetDirs(): string[] {
  try {
    return readdirSync(BASE_DIR).filter((n) => n.startsWith(PREFIX)).map((n) => join(BASE_DIR, n));
  } catch {
    return [];
  }
}

export function dirAgeMs(dir: string): number {
  try {
    return Date.now() - statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

// --- subnets ------------------------------------------------------------------------------

function claimDir(): string {
  return join(BASE_DIR, 'subnets');
}

/**
 * Claims a free 10.77.X.0/24 for the fleet: an exclusive create of subnets/X (so two fleets
 * never race for one X), and only an X that no interface of the root namespace already uses.
 */
export function claimSubnet(id: string): number {
  mkdirSync(claimDir(), { recursive: true, mode: 0o700 });
  const used = runSync('ip', ['-4', '-o', 'addr', 'show']).stdout + runSync('ip', ['-4', 'route', 'show']).stdout;
  const start = randomBytes(1)[0]!;
  for (let i = 0; i < 256; i++) {
    const x = (start + i) % 256;
    if (used.includes(`${SUBNET_PREFIX}.${x}.`)) continue;
    let fd: number;
    try {
      fd = openSync(join(claimDir(), String(x)), 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    writeSync(fd, `${id}\n`);
    closeSync(fd);
    return x;
  }
  throw new FleetError('no_subnet', `all 256 subnets ${SUBNET_PREFIX}.X.0/24 are taken (${claimDir()}): destroy other fleets (npx tsx scripts/hosts/cli.ts list / down / reap)`);
}

/** Frees subnet x if this fleet holds it. */
export function releaseSubnet(x: number, id: string): void {
  if (x < 0) return;
  const file = join(claimDir(), String(x));
  try {
    if (readFileSync(file, 'utf8').trim() === id) rmSync(file, { force: true });
  } catch {
    // not claimed
  }
}

/** Claims whose fleet directory is gone (a crash between teardown steps). */
export function orphanClaims(): Array<{ x: number; id: string }> {
  const out: Array<{ x: number; id: string }> = [];
  let names: string[] = [];
  try {
    names = readdirSync(claimDir());
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const id = readFileSync(join(claimDir(), n), 'utf8').trim();
      if (!existsSync(fleetDir(id)) && dirAgeMs(join(claimDir(), n)) > 60_000) out.push({ x: Number(n), id });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
