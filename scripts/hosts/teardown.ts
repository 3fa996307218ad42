import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, FleetError } from './errors.js';
import { isAlive, pidsWithCmdline, procStart, runSync, sleepSync } from './proc.js';
import { dirAgeMs, listFleetDirs, loadState, orphanClaims, PREFIX, releaseSubnet, BASE_DIR, type FleetState } from './state.js';

// Teardown is synchronous on purpose: it must also run from process 'exit' and signal handlers,
// where nothing asynchronous completes. It is idempotent and works from the record alone, so
// the reaper can finish the job of a run that crashed halfway through creating or destroying.

function netnsList(): string[] {
  return runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

function netnsPids(ns: string): number[] {
  return runSync('ip', ['netns', 'pids', ns]).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
}

function linkExists(name: string): boolean {
  return runSync('ip', ['link', 'show', name]).code === 0;
}

/** Kills pids with SIGKILL and waits (up to 10 s) until none runs; returns those still running. */
function killAll(pids: Iterable<number>): number[] {
  const set = new Set(pids);
  set.delete(process.pid);
  for (const pid of set) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  let left = [...set];
  while (left.length > 0 && Date.now() < deadline) {
    // A killed child of ours stays a zombie until our event loop reaps it: zombies count as gone.
    left = left.filter((pid) => procStart(pid) !== null);
    if (left.length) sleepSync(20);
  }
  return left;
}

/** Removes everything of one fleet: processes, namespaces, interfaces, subnet claim, directory. */
export function teardownFleet(state: FleetState): void {
  const problems: string[] = [];
  const existing = new Set(netnsList());
  const collect = () => {
    const pids = new Set<number>();
    for (const h of state.hosts) {
      if (existing.has(h.netns)) for (const pid of netnsPids(h.netns)) pids.add(pid);
      for (const ref of [h.anchor, ...Object.values(h.services)]) if (ref && isAlive(ref)) pids.add(ref.pid);
    }
    // ssh clients and ControlMaster processes that carry the fleet's paths (keys, control sockets).
    for (const pid of pidsWithCmdline(`${state.dir}/`)) pids.add(pid);
    pids.delete(process.pid);
    return pids;
  };
  // Again until none is left: a forking server (socat, sshd) may have forked while we killed.
  let left: number[] = [];
  for (let round = 0; round < 5; round++) {
    const pids = collect();
    if (pids.size === 0) break;
    left = killAll(pids);
  }
  if (left.length || collect().size) problems.push(`processes still running after SIGKILL: ${[...new Set([...left, ...collect()])].join(', ')}`);
  for (const h of state.hosts) {
    if (existing.has(h.netns)) {
      const r = runSync('ip', ['netns', 'del', h.netns]);
      if (r.code !== 0) problems.push(`ip netns del ${h.netns}: ${r.stderr.trim()}`);
    }
    // Deleting the namespace deletes its veth pair; this covers a pair whose namespace never came.
    if (linkExists(h.veth)) runSync('ip', ['link', 'del', h.veth]);
  }
  if (linkExists(state.bridge)) {
    const r = runSync('ip', ['link', 'del', state.bridge]);
    if (r.code !== 0) problems.push(`ip link del ${state.bridge}: ${r.stderr.trim()}`);
  }
  if (problems.length) throw new FleetError('teardown_failed', `fleet ${state.id} (${state.name}): ${problems.join('; ')} — the record stays in ${state.dir} for \`npx tsx scripts/hosts/cli.ts reap\``);
  releaseSubnet(state.subnet, state.id);
  rmSync(state.dir, { recursive: true, force: true });
}

export interface ReapOptions {
  /** Also remove fleets made by `cli.ts up` (no owner). Fleets whose owner runs are never touched. */
  detached?: boolean;
  log?: (line: string) => void;
}

/**
 * Removes the leftovers of fleets whose owner process is gone (a test file killed by a timeout,
 * a crashed bench), plus namespaces and interfaces named ccf-ID… whose ID has no record.
 * Returns the ids it removed.
 */
export function reapFleets(o: ReapOptions = {}): string[] {
  const log = o.log ?? ((l: string) => console.error(l));
  const reaped: string[] = [];
  const known = new Set<string>();
  for (const dir of listFleetDirs()) {
    const state = loadState(dir);
    const id = dir.slice(BASE_DIR.length + 1);
    known.add(id);
    if (!state) {
      // A directory without a record: a creation that died before its first write.
      if (dirAgeMs(dir) > 60_000) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (state.owner ? isAlive(state.owner) : !o.detached) continue;
    try {
      teardownFleet(state);
      reaped.push(state.id);
      log(`reaped test-bed fleet ${state.id} (${state.name}) left by ${state.owner ? `process ${state.owner.pid}` : 'cli.ts up'}`);
    } catch (err) {
      log(`could not reap fleet ${state.id}: ${errorMessage(err)}`);
    }
  }
  // Names of ours without any record: remove them too (their processes first).
  const idOf = (name: string) => /^(ccf-[0-9a-f]{6})/.exec(name)?.[1];
  const strayNs = netnsList().filter((n) => n.startsWith(PREFIX) && !known.has(idOf(n) ?? ''));
  const strayLinks = runSync('ip', ['-o', 'link', 'show']).stdout.split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '').filter((n) => n.startsWith(PREFIX) && !known.has(idOf(n) ?? ''));
  if (strayNs.length) killAll(strayNs.flatMap(netnsPids));
  for (const ns of strayNs) runSync('ip', ['netns', 'del', ns]);
  for (const l of strayLinks) runSync('ip', ['link', 'del', l]);
  for (const name of [...strayNs, ...strayLinks]) {
    const id = idOf(name);
    if (id && !reaped.includes(id)) reaped.push(id);
  }
  if (strayNs.length || strayLinks.length) log(`removed stray test-bed names without a record: ${[...strayNs, ...strayLinks].join(', ')}`);
  for (const c of orphanClaims()) releaseSubnet(c.x, c.id);
  return reaped;
}

/** Whether anything of the bed exists at all (cheap: lets the test runner skip the reaper). */
export function anyFleetLeftovers(): boolean {
  return listFleetDirs().length > 0 || netnsList().some((n) => n.startsWith(PREFIX)) || existsSync(join(BASE_DIR, 'subnets'));
}
