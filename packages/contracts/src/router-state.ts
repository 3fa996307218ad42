// The router's desired state and its admin/metrics payloads. The conductor builds these
// objects, the router (and any later backend such as HAProxy) consumes them, so they live
// in one schema that both sides validate against.
import { z } from 'zod';

/** Versions end up in cookies and response headers, so they are kept to a header-safe set. */
export const routerVersionSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, ".", "_", "+" or "-"');

export const routerTargetSchema = z.object({
  id: z.string().min(1).max(128),
  version: routerVersionSchema,
  /** Base URL of one upstream instance, e.g. http://127.0.0.1:3001 (no path). */
  url: z
    .string()
    .url()
    .refine((u) => /^http:\/\/[^/?#]+\/?$/.test(u), 'must be http://host:port with no path'),
  /**
   * Relative share of new traffic. 0 keeps the target known: pinned requests and the
   * hashed-asset fallback still reach it, while weighted traffic drains away from it.
   */
  weight: z.number().int().min(0).max(10_000),
});

export const routerServiceSchema = z
  .object({ targets: z.array(routerTargetSchema).max(256) })
  .superRefine((svc, ctx) => {
    const seen = new Set<string>();
    svc.targets.forEach((t, i) => {
      if (seen.has(t.id)) {
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `duplicate target id "${t.id}"` });
      }
      seen.add(t.id);
    });
  });

export const routerMaintenanceSchema = z.object({
  enabled: z.boolean(),
  message: z.string().max(2000).optional(),
  /** Seconds, sent as Retry-After. */
  retryAfter: z.number().int().min(0).max(86_400).default(60),
  /** CIDRs (IPv4 or IPv6) whose clients bypass maintenance, e.g. ["10.0.0.0/8"]. */
  allowCidrs: z
    .array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'CIDR like 10.0.0.0/8'))
    .max(256)
    .default([]),
});

export const routerStateSchema = z.object({
  services: z.object({
    /** /api, /health and /version (the API serves /metrics on an internal port only). */
    api: routerServiceSchema,
    /** Everything else. */
    web: routerServiceSchema,
  }),
  maintenance: routerMaintenanceSchema.default({ enabled: false, retryAfter: 60, allowCidrs: [] }),
});

export type RouterTarget = z.infer<typeof routerTargetSchema>;
export type RouterService = z.infer<typeof routerServiceSchema>;
export type RouterMaintenance = z.infer<typeof routerMaintenanceSchema>;
export type RouterState = z.infer<typeof routerStateSchema>;
/** What callers may pass in: defaults (maintenance, retryAfter, allowCidrs) filled by parsing. */
export type RouterStateInput = z.input<typeof routerStateSchema>;
export type RouterServiceName = keyof RouterState['services'];

/** GET /admin/state answer; `version` is the compare-and-set counter, not a release version. */
export interface RouterStateDocument {
  version: number;
  state: RouterState;
}

/** PUT /admin/state body. */
export const routerPutStateSchema = z.object({
  expectedVersion: z.number().int().min(0),
  state: routerStateSchema,
});
export type RouterPutState = z.infer<typeof routerPutStateSchema>;

/** POST /admin/maintenance body. */
export const routerMaintenanceToggleSchema = z.object({
  enabled: z.boolean(),
  message: z.string().max(2000).optional(),
  retryAfter: z.number().int().min(0).max(86_400).optional(),
});
export type RouterMaintenanceToggle = z.infer<typeof routerMaintenanceToggleSchema>;

export type RouterStatusClass = '2xx' | '3xx' | '4xx' | '5xx';

/** Per service and version counts since the router started; feeds canary analysis. */
export interface RouterVersionMetrics {
  service: RouterServiceName;
  version: string;
  requests: Record<RouterStatusClass, number>;
  total: number;
  /** Connection failures, resets and timeouts talking to this version's targets. */
  upstreamErrors: number;
  /** Estimated from the latency histogram, in milliseconds; null when no requests yet. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

/** GET /admin/metrics.json answer. */
export interface RouterMetricsSnapshot {
  at: string;
  versions: RouterVersionMetrics[];
}

/** GET /admin/targets entries: what the router currently knows about each target. */
export interface RouterTargetStatus {
  service: RouterServiceName;
  id: string;
  version: string;
  url: string;
  weight: number;
  /** From active health checks (optimistic until the first failures). */
  healthy: boolean;
  /** Refused a connection recently and gets no traffic until the ejection expires. */
  ejected: boolean;
  inflight: number;
  /** Weight 0 or removed: its responses close client connections. */
  draining: boolean;
  /** No longer in the state; finishing in-flight requests before its pool is closed. */
  removed: boolean;
}
