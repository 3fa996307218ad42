import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FleetError } from './errors.js';
import { execInHost, hostDir, startInHost } from './host-setup.js';
import { isAlive, sleepSync, waitFor } from './proc.js';
import type { FleetState, HostState } from './state.js';

// Link impairments ("netem") of one host, applied to what the host sends on eth0. This
// machine's kernel is built without sch_netem (`tc qdisc ... netem` answers "Specified qdisc
// kind is unknown"), so the same effects come from netfilter, which it has:
//   - loss: an iptables `statistic` rule drops that share of the host's outgoing packets;
//   - delay: an iptables NFQUEUE rule hands every outgoing packet to delay-queue.py, which
//     holds it in the kernel queue for the delay (± jitter) and then accepts it.
// Both live in the host's own network namespace, so every protocol and every peer sees them.

export interface NetemOptions {
  /** Added to every packet the host sends, so to every round trip with it. */
  delayMs?: number;
  /** Random variation of the delay (uniform, ± this many ms; packets may be reordered). */
  jitterMs?: number;
  /** Share of the host's outgoing packets dropped, 0..100. */
  lossPct?: number;
}

const DELAY_QUEUE = fileURLToPath(new URL('./delay-queue.py', import.meta.url));
const QUEUE_NUM = '0'; // queues are per network namespace: every host can use queue 0

const iptables = (host: HostState, args: string[]) => execInHost(host, ['iptables', '-w', '10', ...args]);

/** Replaces the host's impairments with o. */
export async function setNetem(state: FleetState, host: HostState, o: NetemOptions): Promise<void> {
  const delay = o.delayMs ?? 0;
  const jitter = o.jitterMs ?? 0;
  const loss = o.lossPct ?? 0;
  if (![delay, jitter, loss].every((n) => Number.isFinite(n) && n >= 0) || loss > 100) {
    throw new FleetError('usage', `netem wants delayMs >= 0, jitterMs >= 0 and 0 <= lossPct <= 100, got ${JSON.stringify(o)}`);
  }
  await clearNetem(host);
  if (loss > 0) await iptables(host, ['-A', 'OUTPUT', '-o', 'eth0', '-m', 'statistic', '--mode', 'random', '--probability', String(loss / 100), '-j', 'DROP']);
  if (delay > 0 || jitter > 0) {
    const ref = startInHost(state, host, 'netem', ['python3', DELAY_QUEUE, QUEUE_NUM, String(delay), String(jitter)]);
    host.services['netem'] = ref;
    const log = join(hostDir(state, host), 'netem.log');
    const seen = readLog(log).length;
    await waitFor(`the delay queue of ${host.name}`, () => {
      if (!isAlive(ref)) throw new FleetError('setup_failed', `delay-queue.py exited: ${readLog(log).slice(seen, seen + 1500)}`);
      return readLog(log).slice(seen).includes(`delay-queue: queue ${QUEUE_NUM}`) ? true : undefined;
    }, 10_000);
    // --queue-bypass: if the delay queue dies, packets flow undelayed instead of vanishing.
    await iptables(host, ['-A', 'OUTPUT', '-o', 'eth0', '-j', 'NFQUEUE', '--queue-num', QUEUE_NUM, '--queue-bypass']);
  }
}

/** Removes every impairment of the host (rules first, so no packet is left in a dead queue). */
export async function clearNetem(host: HostState): Promise<void> {
  await iptables(host, ['-F', 'OUTPUT']);
  const ref = host.services['netem'];
  if (ref && isAlive(ref)) {
    process.kill(ref.pid, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (isAlive(ref) && Date.now() < deadline) sleepSync(10);
  }
  delete host.services['netem'];
}

/** The host's impairment rules, as `iptables -S OUTPUT` prints them. */
export async function showNetem(host: HostState): Promise<string> {
  return (await iptables(host, ['-S', 'OUTPUT'])).stdout;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
