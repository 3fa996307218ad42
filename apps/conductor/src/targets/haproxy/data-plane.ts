import { setTimeout as sleep } from 'node:timers/promises';
import { routerStateSchema, type RouterMaintenance, type RouterState, type RouterStateInput, type RouterTarget } from '@cc/contracts';
import { CcrError } from '../../errors.js';
import { SERVICES, type ServiceName } from '../../engine/deploy-target.js';
import { assetBackend, serverName, slotBackend, type HaproxyLayout } from './layout.js';
import { renderMaintenance } from './maintenance-bodies.js';
import { showOk, type HaproxyRuntime } from './runtime-api.js';
import { RuntimeFiles } from './runtime-files.js';
import { readServers, type ServerRow } from './server-rows.js';

// The router state (the same document the Node router takes) applied to a running HAProxy
// through its Runtime API: targets become dynamic servers (`add server`, no reload), weights
// `set server ... weight`, removals drain, then maint, then `del server`; pinning, the
// sticky cookie and maintenance are map and ACL entries. The state is read back from HAProxy
// itself, so any ccr process can pick up where another left off.

const HAPROXY_MAX_WEIGHT = 256;
/** srv_admin_state bit: forced maintenance (set by us on removal). */
const FMAINT = 0x01;

/** How many per-version backends the running config has (`show backend`), so ccr needs no copy of it. */
export async function discoverLayout(runtime: HaproxyRuntime, backends: HaproxyLayout['backends']): Promise<HaproxyLayout> {
  const names = (await runtime.must('show backend', showOk)).split('\n').map((l) => l.trim());
  const slots = (service: ServiceName) => names.filter((n) => n.startsWith(`${backends[service]}_v`) && /^\d+$/.test(n.slice(backends[service].length + 2))).length;
  const n = Math.min(slots('api'), slots('web'));
  if (!names.includes(backends.api) || !names.includes(backends.web) || n === 0) {
    throw new CcrError('router_failed', `HAProxy at ${runtime.address} has no ${backends.api}/${backends.web} backends with version backends; render its config with ccr (deploy/haproxy/README.md)`);
  }
  return { backends, slots: n };
}

/**
 * Dynamic servers with health checks (`add server ... check`, `enable health`) arrived in
 * HAProxy 2.4. Older versions would need a rendered config per change and a `-sf` reload,
 * which this data plane does not do: it refuses them by name instead.
 */
export function supportsDynamicServers(showInfo: string): void {
  const m = /^Version: (\d+)\.(\d+)/m.exec(showInfo);
  if (!m) throw new CcrError('router_failed', 'HAProxy did not report its version (show info)');
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 2 || (major === 2 && minor < 4)) {
    throw new CcrError('not_implemented', `HAProxy ${major}.${minor} has no dynamic servers with health checks (2.4+); reload-based changes are not implemented`);
  }
}

export interface DataPlaneOptions {
  /** How long a removed server may finish in-flight requests before its sessions are shut. */
  drainTimeoutMs?: number;
}

export class HaproxyDataPlane {
  readonly files: RuntimeFiles;
  private queue: Promise<unknown> = Promise.resolve();
  private checked = false;

  constructor(
    readonly runtime: HaproxyRuntime,
    /** slots 0: read from the running config (`show backend`) on first use. */
    readonly layout: HaproxyLayout,
    private readonly o: DataPlaneOptions = {},
  ) {
    this.files = new RuntimeFiles(runtime);
  }

  private async ready(): Promise<void> {
    if (this.checked) return;
    supportsDynamicServers(await this.runtime.must('show info', showOk));
    if (this.layout.slots === 0) this.layout.slots = (await discoverLayout(this.runtime, this.layout.backends)).slots;
    this.checked = true;
  }

  /** The routing state HAProxy holds now (servers being removed are left out). */
  async readState(): Promise<RouterState> {
    await this.ready();
    const [ids, served, weights, maint, allow] = await Promise.all([
      this.files.readMap('ids'), this.files.readMap('served'), this.files.readMap('weights'), this.files.readMap('maint'), this.files.readAcl('allow'),
    ]);
    const services = {} as RouterState['services'];
    for (const service of SERVICES) {
      const rows = (await readServers(this.runtime, this.layout.backends[service])).filter((r) => !(r.adminState & FMAINT));
      services[service] = {
        targets: rows.map((r) => ({
          id: ids.get(r.name) ?? r.name,
          version: served.get(r.name) ?? 'unknown',
          url: `http://${r.address}:${r.port}`,
          weight: Number(weights.get(`${service}/${r.name}`) ?? r.weight),
        })),
      };
    }
    const message = maint.get('message');
    return {
      services,
      maintenance: {
        enabled: maint.get('enabled') === '1',
        retryAfter: Number(maint.get('retry') ?? 60),
        allowCidrs: allow,
        ...(message ? { message: Buffer.from(message, 'base64').toString('utf8') } : {}),
      },
    };
  }

  /** Applies a whole state; calls in one process run one at a time. */
  applyState(input: RouterStateInput): Promise<RouterState> {
    const run = this.queue.then(() => this.apply(routerStateSchema.parse(input)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async setMaintenance(m: RouterMaintenance): Promise<void> {
    const known = await this.files.readMap('maint');
    const bodies = renderMaintenance(m.message);
    // Only on a change: clearing and refilling would briefly lock allow-listed clients out.
    const allow = await this.files.readAcl('allow');
    if (allow.join(' ') !== m.allowCidrs.join(' ')) await this.files.replaceAcl('allow', m.allowCidrs);
    await this.files.put('maint', 'retry', String(m.retryAfter), known);
    await this.files.put('maint', 'html', bodies.html, known);
    await this.files.put('maint', 'jpre', bodies.jsonBefore, known);
    await this.files.put('maint', 'jpost', bodies.jsonAfter, known);
    if (m.message) await this.files.put('maint', 'message', Buffer.from(m.message).toString('base64'), known);
    else await this.files.del('maint', 'message', known);
    // Last, so the page is complete before anyone sees it.
    await this.files.put('maint', 'enabled', m.enabled ? '1' : '0', known);
  }

  private async apply(next: RouterState): Promise<RouterState> {
    await this.ready();
    const [ids, served, weights, pin, sticky, multi] = await Promise.all([
      this.files.readMap('ids'), this.files.readMap('served'), this.files.readMap('weights'),
      this.files.readMap('pin'), this.files.readMap('sticky'), this.files.readMap('multi'),
    ]);
    const removals: Array<{ row: ServerRow; backends: string[] }> = [];
    for (const service of SERVICES) {
      const weighted = this.layout.backends[service];
      const rows = await readServers(this.runtime, weighted);
      const live = new Map(rows.filter((r) => !(r.adminState & FMAINT)).map((r) => [r.name, r]));
      const wanted = new Map(next.services[service].targets.map((t) => [serverName(t.id), t]));
      const slots = this.assignSlots(service, next.services[service].targets, pin);

      // 1. New servers, and servers whose address or version changed (remove + add).
      for (const [name, t] of wanted) {
        const row = live.get(name);
        if (row && `http://${row.address}:${row.port}` === t.url.replace(/\/$/, '') && served.get(name) === t.version) continue;
        // A changed or half-removed server is replaced at once: it is no longer the same target.
        const old = row ?? rows.find((r) => r.name === name && r.adminState & FMAINT);
        if (old) await this.removeWhenIdle(name, this.backendsOf(service, name, served, pin), 0);
        await this.files.put('served', name, t.version, served);
        await this.files.put('ids', name, t.id, ids);
        await this.addServer(weighted, name, t, 0, true);
        await this.addServer(slots.get(t.version)!, name, t, 1, false);
        if (service === 'web') await this.addServer(assetBackend(this.layout), name, t, 1, false);
      }
      for (const [version, backend] of slots) await this.files.put('pin', `${service}/${version}`, backend, pin);

      // 2. Weights: raise before lowering, so the service never has less capacity than either state.
      const max = Math.max(0, ...[...wanted.values()].map((t) => t.weight));
      const scaled = (t: RouterTarget) => (t.weight === 0 ? 0 : Math.max(1, Math.round((t.weight * HAPROXY_MAX_WEIGHT) / max)));
      const current = (name: string) => live.get(name)?.weight ?? 0;
      const order = [...wanted.entries()].sort(([a, ta], [b, tb]) => (scaled(tb) - current(b)) - (scaled(ta) - current(a)));
      for (const [name, t] of order) {
        if (current(name) !== scaled(t) || !live.has(name)) await this.runtime.must(`set server ${weighted}/${name} weight ${scaled(t)}`);
        await this.files.put('weights', `${service}/${name}`, String(t.weight), weights);
      }

      // 3. Which versions a cc_v cookie may still pick, and whether a weighted choice sets it.
      const weightedVersions = new Set(next.services[service].targets.filter((t) => t.weight > 0).map((t) => t.version));
      for (const [version, backend] of slots) {
        if (weightedVersions.has(version)) await this.files.put('sticky', `${service}/${version}`, backend, sticky);
        else await this.files.del('sticky', `${service}/${version}`, sticky);
      }
      for (const key of [...sticky.keys()]) if (key.startsWith(`${service}/`) && !slots.has(key.slice(service.length + 1))) await this.files.del('sticky', key, sticky);
      if (weightedVersions.size > 1) await this.files.put('multi', service, '1', multi);
      else await this.files.del('multi', service, multi);

      // 4. Servers leaving: no new requests anywhere at once, deleted once their requests finished.
      for (const [name, row] of live) {
        if (wanted.has(name)) continue;
        const backends = this.backendsOf(service, name, served, pin);
        await this.runtime.must(`set server ${weighted}/${name} weight 0`);
        for (const b of backends) await this.runtime.must(`set server ${b}/${name} state drain`);
        removals.push({ row, backends });
        await this.files.del('weights', `${service}/${name}`, weights);
      }
      for (const key of [...pin.keys()]) if (key.startsWith(`${service}/`) && !slots.has(key.slice(service.length + 1))) await this.files.del('pin', key, pin);
    }
    await this.setMaintenance(next.maintenance);
    await Promise.all(removals.map((r) => this.removeWhenIdle(r.row.name, r.backends)));
    for (const r of removals) {
      const stillUsed = SERVICES.some((s) => next.services[s].targets.some((t) => serverName(t.id) === r.row.name));
      if (!stillUsed) {
        await this.files.del('served', r.row.name, served);
        await this.files.del('ids', r.row.name, ids);
      }
    }
    return this.readState();
  }

  /** Keeps each attached version's slot, gives new versions a free one. */
  private assignSlots(service: ServiceName, targets: RouterTarget[], pin: Map<string, string>): Map<string, string> {
    const versions = [...new Set(targets.map((t) => t.version))];
    const out = new Map<string, string>();
    const taken = new Set<string>();
    for (const v of versions) {
      const b = pin.get(`${service}/${v}`);
      if (b) {
        out.set(v, b);
        taken.add(b);
      }
    }
    for (const v of versions) {
      if (out.has(v)) continue;
      const free = Array.from({ length: this.layout.slots }, (_, i) => slotBackend(this.layout, service, i)).find((b) => !taken.has(b));
      if (!free) throw new CcrError('conflict', `HAProxy has ${this.layout.slots} version backends for ${service} and all are in use; detach an old version first`);
      out.set(v, free);
      taken.add(free);
    }
    return out;
  }

  private backendsOf(service: ServiceName, name: string, served: Map<string, string>, pin: Map<string, string>): string[] {
    const slot = pin.get(`${service}/${served.get(name) ?? ''}`);
    return [this.layout.backends[service], ...(slot ? [slot] : []), ...(service === 'web' ? [assetBackend(this.layout)] : [])];
  }

  /**
   * Only the weighted backend health-checks (a dynamic server cannot `track` another, and one
   * checker per instance keeps probe load and ejection timing those of the Node router). In
   * the version and asset backends a refused connection is retried on another server.
   */
  private async addServer(backend: string, name: string, t: RouterTarget, weight: number, checked: boolean): Promise<void> {
    const u = new URL(t.url);
    let check = '';
    if (checked) {
      const s = await this.files.readMap('settings');
      // Two consecutive connection errors mark the server down before the checks notice
      // (they bring it back); the failed requests are retried elsewhere.
      check = ` check inter ${s.get('inter') ?? 2000} fall ${s.get('fall') ?? 3} rise ${s.get('rise') ?? 2} observe layer4 error-limit 2 on-error mark-down`;
    }
    await this.runtime.must(`add server ${backend}/${name} ${u.hostname}:${u.port || 80} weight ${weight}${check}`);
    if (checked) {
      // Instances are attached only once ready, so the server starts up rather than waiting for `rise` checks.
      await this.runtime.must(`enable health ${backend}/${name}`);
      await this.runtime.must(`set server ${backend}/${name} health up`);
    }
    await this.runtime.must(`set server ${backend}/${name} state ready`);
  }

  /** Waits for in-flight requests (drain), then maint and `del server` in every backend. */
  private async removeWhenIdle(name: string, backends: string[], timeoutMs = this.o.drainTimeoutMs ?? 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const b of backends) {
      for (;;) {
        await this.runtime.exec(`set server ${b}/${name} state maint`);
        const answer = await this.runtime.exec(`del server ${b}/${name}`);
        if (/deleted|no such server|not found/i.test(answer)) break;
        if (Date.now() > deadline) {
          // Past the drain timeout the remaining sessions are cut, as the Node router does.
          await this.runtime.exec(`shutdown sessions server ${b}/${name}`);
          if (Date.now() > deadline + 5_000) throw new CcrError('router_failed', `HAProxy would not delete ${b}/${name}: ${answer}`);
        }
        await sleep(50);
      }
    }
  }
}
