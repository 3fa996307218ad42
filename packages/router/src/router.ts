// Assembles the router: data-plane server, admin server, target pool, health checks,
// metrics and persisted state. State changes are serialized, persisted first and then
// applied by swapping one RouteTable reference.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterState, RouterStateDocument, RouterStateInput } from '@cc/contracts';
import { createAdminHandler } from './admin-server.js';
import { TokenCheck } from './auth.js';
import { RouterError } from './errors.js';
import { HealthChecker } from './health-checker.js';
import { RouterMetrics } from './metrics.js';
import type { Router } from './router-api.js';
import type { RouterOptions } from './options.js';
import { resolveOptions } from './options.js';
import { ProxyHandler } from './proxy-handler.js';
import { parseRouterState } from './state-validation.js';
import { StateStore } from './state-store.js';
import { TargetPool } from './target-pool.js';

const EMPTY_STATE: RouterStateInput = { services: { api: { targets: [] }, web: { targets: [] } } };

export async function createRouter(options: RouterOptions): Promise<Router> {
  const opts = resolveOptions(options);
  const store = opts.stateFile ? new StateStore(opts.stateFile) : undefined;
  const loaded = await store?.load();
  let doc: RouterStateDocument = loaded ?? { version: 0, state: parseRouterState(opts.initialState ?? EMPTY_STATE) };

  const health = new HealthChecker(opts.healthCheck, opts.logger);
  // The metrics read the pool's draining count and the pool records into the metrics.
  let drainingCount = (): number => 0;
  const metrics = new RouterMetrics(
    () => doc.version,
    () => drainingCount(),
  );
  const targets = new TargetPool(opts, health, (s, v) => metrics.statsFor(s, v));
  drainingCount = () => targets.draining().length;
  const proxy = new ProxyHandler(targets.apply(doc.state), { pinCheck: new TokenCheck(opts.pinToken), ejectMs: opts.ejectMs });
  if (store && !loaded) await store.save(doc);

  // One change at a time, so compare-and-set, persistence and the swap cannot interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  const commit = (next: (current: RouterState) => RouterState, expectedVersion: number | undefined) =>
    serialized(async () => {
      if (expectedVersion !== undefined && expectedVersion !== doc.version) {
        throw new RouterError('version_conflict', `state is at version ${doc.version}, not ${expectedVersion}`, { field: 'expectedVersion' });
      }
      const nextDoc = { version: doc.version + 1, state: next(doc.state) };
      await store?.save(nextDoc);
      doc = nextDoc;
      proxy.table = targets.apply(nextDoc.state);
      opts.logger.info({ stateVersion: nextDoc.version }, 'router state applied');
      return nextDoc;
    });

  const router: Router = {
    port: 0,
    adminPort: 0,
    getState: () => doc,
    setState: (state, expectedVersion) => {
      const parsed = parseRouterState(state);
      return commit(() => parsed, expectedVersion);
    },
    setMaintenance: (toggle, expectedVersion) =>
      commit(
        (current) => ({
          ...current,
          maintenance: {
            ...current.maintenance,
            enabled: toggle.enabled,
            message: toggle.message ?? current.maintenance.message,
            retryAfter: toggle.retryAfter ?? current.maintenance.retryAfter,
          },
        }),
        expectedVersion,
      ),
    metrics: () => metrics.snapshot(),
    prometheus: () => metrics.prometheus(),
    drainingTargets: () => targets.draining().map((t) => t.id),
    targets: () => targets.describe(),
    listen: async () => {
      await Promise.all([listenOn(dataServer, opts.port, opts.host, opts.listenFd), listenOn(adminServer, opts.adminPort, opts.adminHost, opts.adminListenFd)]);
      const ports = { port: (dataServer.address() as AddressInfo).port, adminPort: (adminServer.address() as AddressInfo).port };
      Object.assign(router, ports);
      opts.logger.info(ports, 'router listening');
      return ports;
    },
    close: async (graceMs = 5000) => {
      const closing = Promise.all([closeServer(dataServer), closeServer(adminServer)]);
      dataServer.closeIdleConnections();
      adminServer.closeIdleConnections();
      const timer = setTimeout(() => {
        dataServer.closeAllConnections();
        adminServer.closeAllConnections();
      }, graceMs);
      timer.unref();
      await closing;
      clearTimeout(timer);
      await targets.close();
    },
  };

  const dataServer = http.createServer({ keepAliveTimeout: 65_000 }, proxy.handle);
  // Only the idle gap between requests on one connection; slow uploads are the upstream's call.
  dataServer.headersTimeout = 60_000;
  dataServer.requestTimeout = 0;
  const adminServer = http.createServer(
    createAdminHandler({ router, adminCheck: new TokenCheck(opts.adminToken), logger: opts.logger }),
  );
  return router;
}

function listenOn(server: http.Server, port: number, host: string, fd: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const where = fd === undefined ? `${host}:${port}` : `inherited socket fd ${fd}`;
    const onError = (err: Error) => reject(new RouterError('listen_failed', `cannot listen on ${where}`, { cause: err }));
    server.once('error', onError);
    server.listen(fd === undefined ? { port, host } : { fd }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
