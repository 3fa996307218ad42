import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { KubeObject } from './kube-play.js';
import { resolvePort, type Container } from './kubelet.js';

// A stand-in for the ingress controller of the image test (no ingress-nginx here): the
// rendered Ingress's rules, resolved the way a controller resolves them (path -> Service ->
// its targetPort -> the selected pods' container port), proxied to the pods' ports on the
// podman node. Paths follow the Ingress API: Exact matches the path, Prefix matches whole
// path elements, the longest match wins. Only the one host of the overlay is served.

export interface IngressRoute {
  path: string;
  pathType: 'Exact' | 'Prefix';
  service: string;
  /** Where the selected pods listen on the node. */
  port: number;
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The Ingress's rules as routes to container ports of the played workloads. */
export function ingressRoutes(objects: readonly KubeObject[], workloads: readonly KubeObject[]): IngressRoute[] {
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  if (ingresses.length !== 1) throw new Error(`expected one Ingress, found ${ingresses.length}`);
  const rules = ingresses[0]!.spec.rules as Array<{ host?: string; http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }> } }>;
  if (rules.length !== 1) throw new Error(`the stand-in serves one host; the Ingress has ${rules.length} rules`);
  return rules[0]!.http.paths.map((p) => {
    const svcName = p.backend.service.name;
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === svcName);
    if (!svc) throw new Error(`Ingress path ${p.path}: no Service ${svcName}`);
    const sp = (svc.spec.ports as Array<{ name?: string; port: number; targetPort?: number | string }>).find((x) => (p.backend.service.port.name ? x.name === p.backend.service.port.name : x.port === p.backend.service.port.number));
    if (!sp) throw new Error(`Ingress path ${p.path}: Service ${svcName} has no port ${JSON.stringify(p.backend.service.port)}`);
    const pods = workloads.filter((w) => selects(svc.spec.selector, w.spec?.template?.metadata?.labels));
    if (pods.length !== 1) throw new Error(`Service ${svcName} selects ${pods.length} played workloads; expected one`);
    const containers = pods[0]!.spec.template.spec.containers as Container[];
    const target = sp.targetPort ?? sp.port;
    const c = containers.find((x) => typeof target === 'number' ? x.ports?.some((q) => q.containerPort === target) : x.ports?.some((q) => q.name === target));
    if (!c) throw new Error(`Service ${svcName}: no container of ${pods[0]!.metadata.name} declares port ${target}`);
    if (p.pathType !== 'Exact' && p.pathType !== 'Prefix') throw new Error(`Ingress path ${p.path}: pathType ${p.pathType} is not served by the stand-in`);
    return { path: p.path, pathType: p.pathType, service: svcName, port: resolvePort(c, target) };
  });
}

export function matchRoute(routes: readonly IngressRoute[], path: string): IngressRoute | undefined {
  const matches = routes.filter((r) => {
    if (r.pathType === 'Exact') return path === r.path;
    const prefix = r.path.replace(/\/+$/, '');
    return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
  });
  // Longest path first; at equal length Exact beats Prefix.
  return matches.sort((a, b) => b.path.length - a.path.length || Number(b.pathType === 'Exact') - Number(a.pathType === 'Exact'))[0];
}

export interface IngressStandIn {
  url: string;
  close(): Promise<void>;
}

export async function startIngress(routes: readonly IngressRoute[], nodeAddress: string): Promise<IngressStandIn> {
  const server: Server = createServer((req: IncomingMessage, res) => {
    const route = matchRoute(routes, (req.url ?? '/').split('?')[0]!);
    if (!route) { res.writeHead(404).end(); return; }
    const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http', 'x-forwarded-host': req.headers.host ?? '' };
    const up = request({ host: nodeAddress, port: route.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    // ingress-nginx's answers: 502 when the pod refuses or resets, 504 when it stops answering.
    up.setTimeout(30_000, () => up.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })));
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (!res.headersSent) res.writeHead(err.code === 'ETIMEDOUT' ? 504 : 502, { 'content-type': 'text/plain' });
      res.end(`ingress stand-in: ${route.service}:${route.port}: ${err.code ?? err.message}`);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
