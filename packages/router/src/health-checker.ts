// Active health checks: GET <target>/health/ready on an interval. A target flips to
// unhealthy after `fall` consecutive failures and back after `rise` consecutive passes;
// the data plane only reads `rt.healthy`, so checks never sit on the request path.
import http from 'node:http';
import type { HealthCheckOptions, RouterLogger } from './options.js';
import type { TargetRuntime } from './target-runtime.js';

interface Watch {
  rt: TargetRuntime;
  timer: NodeJS.Timeout | undefined;
  passes: number;
  fails: number;
  stopped: boolean;
}

export class HealthChecker {
  private readonly watches = new Map<TargetRuntime, Watch>();

  constructor(
    private readonly opts: HealthCheckOptions,
    private readonly logger: RouterLogger,
  ) {}

  watch(rt: TargetRuntime): void {
    if (!this.opts.enabled || this.watches.has(rt)) return;
    const w: Watch = { rt, timer: undefined, passes: 0, fails: 0, stopped: false };
    this.watches.set(rt, w);
    this.schedule(w, 0);
  }

  unwatch(rt: TargetRuntime): void {
    const w = this.watches.get(rt);
    if (!w) return;
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.watches.delete(rt);
  }

  stopAll(): void {
    for (const rt of [...this.watches.keys()]) this.unwatch(rt);
  }

  private schedule(w: Watch, delay: number): void {
    if (w.stopped) return;
    // A chained timeout instead of setInterval: a slow check never overlaps the next one.
    w.timer = setTimeout(() => {
      void this.probe(w.rt).then((ok) => {
        if (w.stopped) return;
        this.record(w, ok);
        this.schedule(w, this.opts.intervalMs);
      });
    }, delay);
    w.timer.unref();
  }

  private record(w: Watch, ok: boolean): void {
    const rt = w.rt;
    if (ok) {
      w.fails = 0;
      w.passes++;
      if (!rt.healthy && w.passes >= this.opts.rise) {
        rt.healthy = true;
        this.logger.info({ target: rt.id, version: rt.version }, 'target healthy');
      }
    } else {
      w.passes = 0;
      w.fails++;
      if (rt.healthy && w.fails >= this.opts.fall) {
        rt.healthy = false;
        this.logger.warn({ target: rt.id, version: rt.version }, 'target unhealthy');
      }
    }
  }

  /** One check; true only for a 2xx within the timeout. */
  private probe(rt: TargetRuntime): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        resolve(ok);
      };
      // A fresh connection per check (agent: false) so a check also proves the port accepts.
      const req = http.request(
        { host: rt.hostname, port: rt.port, path: this.opts.path, method: 'GET', agent: false, timeout: this.opts.timeoutMs },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          res.on('end', () => done(code >= 200 && code < 300));
          res.on('error', () => done(false));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        done(false);
      });
      req.on('error', () => done(false));
      req.end();
    });
  }
}
