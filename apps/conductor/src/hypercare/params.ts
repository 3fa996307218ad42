import { z } from 'zod';
import { duration } from '../config/duration.js';

// The hypercare step's params (rollout.yaml):
//
//   - { id: hypercare, kind: automated, type: hypercare, title: Hypercare watch,
//       params: { duration: 30m, interval: 15s,
//                 errorRate: { max: 0.05, minRequests: 20 },
//                 latency: { quantile: 0.95, maxMs: 750 },
//                 outbox: { maxPending: 5000, maxOldestAgeSeconds: 300 },
//                 restarts: { max: 0 },
//                 disk: { path: /var/lib/postgresql, minFreeRatio: 0.1 },
//                 queries: [{ name: kafka-lag, query: 'sum(kafka_consumergroup_lag)', failureCondition: 'result > 10000' }] } }
//
// Every signal has a default, so `params: { duration: 30m }` watches all of them; `false`
// switches one off. PromQL queries go to params.prometheusUrl, else PROMETHEUS_URL.

const off = z.literal(false);

export const hypercareParams = z.strictObject({
  duration: duration.default(30 * 60_000),
  interval: duration.default(15_000),
  errorRate: z.union([off, z.strictObject({ max: z.number().min(0).max(1).default(0.05), minRequests: z.number().int().min(1).default(20) })]).default({ max: 0.05, minRequests: 20 }),
  latency: z.union([off, z.strictObject({ quantile: z.number().gt(0).lt(1).default(0.95), maxMs: z.number().positive().default(750), minRequests: z.number().int().min(1).default(20) })]).default({ quantile: 0.95, maxMs: 750, minRequests: 20 }),
  outbox: z.union([off, z.strictObject({ maxPending: z.number().int().min(0).default(5000), maxOldestAgeSeconds: z.number().min(0).default(300) })]).default({ maxPending: 5000, maxOldestAgeSeconds: 300 }),
  restarts: z.union([off, z.strictObject({ max: z.number().int().min(0).default(0) })]).default({ max: 0 }),
  disk: z.union([off, z.strictObject({ path: z.string().min(1).optional(), minFreeRatio: z.number().min(0).max(1).default(0.1) })]).default({ minFreeRatio: 0.1 }),
  prometheusUrl: z.string().url().optional(),
  queries: z.array(z.strictObject({ name: z.string().min(1).max(63), query: z.string().min(1), failureCondition: z.string().min(1) })).default([]),
});
export type HypercareParams = z.output<typeof hypercareParams>;
