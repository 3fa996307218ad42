import type { KubeObject } from './kube-play.js';

// The kubelet's part that podman 4.3 does not play: it turns only a livenessProbe into a
// healthcheck (as `curl` on port 0 when the port is named, and run only by systemd timers,
// absent here), and ignores startup and readiness probes and terminationGracePeriodSeconds.
// So the image test runs each container's probes as written in the manifest, with the
// kubelet's rules: a named port resolves to the container's port of that name, success is an
// HTTP status from 200 to 399 within timeoutSeconds, startup may fail failureThreshold times
// periodSeconds apart, and readiness only counts once startup has passed.

export interface HttpProbe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export function containerOf(workload: KubeObject, name: string): Container {
  const c = (workload.spec.template.spec.containers as Container[]).find((x) => x.name === name);
  if (!c) throw new Error(`${workload.kind} ${workload.metadata.name} has no container ${name}`);
  return c;
}

/** A port by number or by the container's port name, as the kubelet resolves it. */
export function resolvePort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`container ${container.name}: probe names port "${port}", which the container does not declare`);
  return p.containerPort;
}

/** One probe attempt against the pod at `address` (podman publishes container ports there). */
export async function probeOnce(container: Container, probe: HttpProbe, address: string): Promise<ProbeResult> {
  if (!probe.httpGet) throw new Error(`container ${container.name}: only httpGet probes are run here`);
  const url = `${(probe.httpGet.scheme ?? 'HTTP').toLowerCase()}://${address}:${resolvePort(container, probe.httpGet.port)}${probe.httpGet.path ?? '/'}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000), headers: { 'user-agent': 'kube-probe/1.30' } });
    await res.arrayBuffer();
    return { ok: res.status >= 200 && res.status < 400, detail: `GET ${url} -> ${res.status}` };
  } catch (err) {
    return { ok: false, detail: `GET ${url} -> ${(err as Error).message}` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the startup probe (if any) until it passes, failing after failureThreshold attempts as
 * the kubelet would (it would restart the container), then the readiness probe until it
 * passes within readyWithinMs. Returns the attempts, for the test's report.
 */
export async function untilReady(container: Container, address: string, readyWithinMs = 120_000): Promise<{ startupAttempts: number; readinessAttempts: number; last: string }> {
  let startupAttempts = 0;
  const startup = container.startupProbe;
  if (startup) {
    await sleep((startup.initialDelaySeconds ?? 0) * 1000);
    for (;;) {
      startupAttempts++;
      const r = await probeOnce(container, startup, address);
      if (r.ok) break;
      if (startupAttempts >= (startup.failureThreshold ?? 3)) throw new Error(`container ${container.name}: startup probe failed ${startupAttempts} times (the kubelet would restart it): ${r.detail}`);
      await sleep((startup.periodSeconds ?? 10) * 1000);
    }
  }
  const readiness = container.readinessProbe;
  if (!readiness) throw new Error(`container ${container.name} has no readiness probe`);
  const end = Date.now() + readyWithinMs;
  if (!startup) await sleep((readiness.initialDelaySeconds ?? 0) * 1000);
  let readinessAttempts = 0;
  for (;;) {
    readinessAttempts++;
    const r = await probeOnce(container, readiness, address);
    if (r.ok) return { startupAttempts, readinessAttempts, last: r.detail };
    if (Date.now() > end) throw new Error(`container ${container.name}: not ready after ${readyWithinMs} ms: ${r.detail}`);
    await sleep((readiness.periodSeconds ?? 10) * 1000);
  }
}
