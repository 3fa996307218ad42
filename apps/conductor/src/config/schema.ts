import { z } from 'zod';
import { duration } from './duration.js';
import { GATES_DEFAULTS, gatesSchema } from './gates-schema.js';
import { hostAddress } from './host-address.js';
import { pitrSchema } from './pitr-schema.js';
import { secretName, secretsSchema } from './secrets-schema.js';

// rollout.yaml: the environments and the plan. Every object is strict, so a misspelt key is
// an error with its path (e.g. `environments.local.canary.steps[2].wieght`), never ignored.

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes');

// ---- plan -------------------------------------------------------------------------------

/** Built-in step types. The executor maps each to an implementation (or a not-implemented marker). */
export const STEP_TYPES = [
  'gate.code-freeze', 'gate.ci', 'gate.security', 'gate.artifact', 'gate.rollback-readiness',
  'gate.config', 'gate.connectivity', 'gate.networking', 'gate.monitoring', 'gate.window',
  'artifact.build', 'backup.create', 'backup.verify', 'migrate.lint', 'migrate.rehearse', 'migrate',
  'maintenance.on', 'maintenance.off', 'deploy.backend', 'deploy.frontend', 'smoke', 'notify',
  'hypercare', 'report',
] as const;
export type StepType = (typeof STEP_TYPES)[number];

const stepBase = {
  id,
  title: z.string().min(1).max(200),
  /** The seed's checklist line this step carries out, for the runbook and the report. */
  seed: z.string().max(300).optional(),
  /** Environments the step runs in; all when omitted. */
  only: z.array(id).optional(),
};

const automatedStep = z.strictObject({
  ...stepBase,
  kind: z.literal('automated'),
  type: z.enum(STEP_TYPES),
  params: z.record(z.string(), z.unknown()).default({}),
  timeout: duration.optional(),
});

const hookStep = z.strictObject({
  ...stepBase,
  kind: z.literal('hook'),
  run: z.string().min(1).optional(),
  webhook: z.strictObject({
    url: z.string().url(),
    method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
    headers: z.record(z.string(), z.string()).default({}),
  }).optional(),
  timeout: duration.default(60_000),
}).refine((s) => Boolean(s.run) !== Boolean(s.webhook), { message: 'a hook needs exactly one of run or webhook' });

const manualStep = z.strictObject({
  ...stepBase,
  kind: z.literal('manual'),
  instructions: z.string().max(2000).optional(),
});

export const stepSchema = z.union([automatedStep, hookStep, manualStep]);
export type PlanStep = z.output<typeof stepSchema>;

export const PHASES = ['pre-deployment', 'deployment', 'post-deployment'] as const;
export type Phase = (typeof PHASES)[number];

const phaseSchema = z.strictObject({
  phase: z.enum(PHASES),
  steps: z.array(stepSchema).min(1),
});

// ---- analysis ---------------------------------------------------------------------------

const builtinMetric = z.strictObject({
  name: id,
  provider: z.literal('builtin'),
  /** error-rate: canary 5xx rate minus stable's; latency: canary quantile / stable's. */
  check: z.enum(['error-rate', 'latency']),
  quantile: z.union([z.literal(0.5), z.literal(0.95), z.literal(0.99)]).optional(),
  maxDelta: z.number().min(0).max(1).optional(),
  maxRatio: z.number().min(1).optional(),
  /** Latency under this many ms always passes: a ratio of two tiny numbers is noise. */
  minAbsoluteMs: z.number().min(0).default(25),
});

const prometheusMetric = z.strictObject({
  name: id,
  provider: z.literal('prometheus'),
  query: z.string().min(1),
  /** Conditions over `result`, e.g. "result < 0.05"; see analysis/condition.ts. */
  successCondition: z.string().min(1).optional(),
  failureCondition: z.string().min(1).optional(),
});

export const analysisSchema = z.strictObject({
  interval: duration.default(5000),
  count: z.number().int().min(1).max(1000).default(3),
  failureLimit: z.number().int().min(0).default(0),
  /** Below this many canary requests per measurement the verdict is "inconclusive", not a pass. */
  minRequests: z.number().int().min(0).default(30),
  /** With too little real traffic, send this much pinned smoke traffic to the canary instead. */
  lowTraffic: z.strictObject({
    action: z.enum(['smoke-traffic', 'fail', 'wait']).default('smoke-traffic'),
    requests: z.number().int().min(1).max(100_000).default(60),
  }).default({ action: 'smoke-traffic', requests: 60 }),
  metrics: z.array(z.union([builtinMetric, prometheusMetric])).min(1),
});
export type AnalysisConfig = z.output<typeof analysisSchema>;

// ---- strategies -------------------------------------------------------------------------

const canaryStep = z.union([
  z.strictObject({ weight: z.number().int().min(0).max(100), pause: duration.optional() }),
  z.strictObject({ pause: duration }),
  z.strictObject({ analysis: z.union([id, analysisSchema]) }),
]);

const canarySchema = z.strictObject({
  steps: z.array(canaryStep).min(1),
});

const blueGreenSchema = z.strictObject({
  scaleDownDelay: duration.default(600_000),
  /** Run the smoke tests pinned to the new version before switching traffic. */
  prePromotionSmoke: z.boolean().default(true),
});

const rollingSchema = z.strictObject({
  maxUnavailable: z.literal(0).default(0),
  readyTimeout: duration.default(60_000),
});

// ---- targets ----------------------------------------------------------------------------

const localTarget = z.strictObject({
  type: z.literal('local'),
  port: z.number().int().min(1).max(65535).default(8080),
  adminPort: z.number().int().min(1).max(65535).default(8081),
  instances: z.number().int().min(1).max(16).default(2),
  /**
   * How long a release in flight (and its automatic rollback) waits for the router's admin API
   * and the runtime's control API when they stop answering (a restart) before the step fails.
   */
  adminWaitTimeout: duration.default(30_000),
});
const haproxyTarget = z.strictObject({
  type: z.literal('haproxy'),
  runtimeApi: z.string().min(1),
  backend: z.object({ api: z.string().min(1), web: z.string().min(1) }).strict(),
  /** name and address both reach Runtime API commands, so both are shape-checked (host-address.ts). */
  hosts: z.array(z.strictObject({ name: id, address: hostAddress })).min(1),
  instancesPerHost: z.number().int().min(1).default(1),
  /** The address users reach HAProxy on (pinned smoke traffic and checks go there too). */
  publicUrl: z.string().url().optional(),
});
const kubernetesTarget = z.strictObject({
  type: z.literal('kubernetes'),
  namespace: z.string().min(1),
  context: z.string().min(1).optional(),
  overlay: z.string().min(1),
  /**
   * The pods read their secrets from the Secret cc-api-secrets. `existing`: it is made outside
   * ccr; `external-secret`: ccr generates an ExternalSecret (External Secrets Operator) that
   * fills it from `store`, one key per "secret:<name>" setting.
   */
  secrets: z.discriminatedUnion('source', [
    z.strictObject({ source: z.literal('existing') }),
    z.strictObject({
      source: z.literal('external-secret'),
      store: z.strictObject({ name: z.string().min(1), kind: z.enum(['SecretStore', 'ClusterSecretStore']).default('ClusterSecretStore') }),
      refreshInterval: z.string().regex(/^\d+[smh]$/, 'must be like 1h, 30m or 45s').default('1h'),
    }),
  ]).default({ source: 'existing' }),
});
export const targetSchema = z.discriminatedUnion('type', [localTarget, haproxyTarget, kubernetesTarget]);

// ---- notifications ----------------------------------------------------------------------

const notifier = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), url: z.string().url(), events: z.array(z.string()).optional() }),
  z.strictObject({
    type: z.literal('email'),
    smtp: z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535), secure: z.boolean().default(false), user: z.string().optional(), passwordEnv: z.string().optional() }),
    from: z.string().email(),
    to: z.array(z.string().email()).min(1),
    events: z.array(z.string()).optional(),
  }),
]);

// ---- backups and migrations (issue 6) ----------------------------------------------------

const sanityQuery = z.strictObject({
  name: id,
  /** Runs against the restored copy; passes when the first column of the first row is true. */
  sql: z.string().min(1).max(4000),
});

export const backupSchema = z.strictObject({
  /** Folder of the dumps; default .cc/backups/<env>. */
  dir: z.string().min(1).optional(),
  /** Retention: keep at least this many newest backups... */
  keep: z.number().int().min(1).max(1000).default(10),
  /** ...and every backup younger than this many days. */
  keepDays: z.number().int().min(0).max(3650).default(14),
  sanityQueries: z.array(sanityQuery).default([]),
  /** pg_restore -j for verification and restores. */
  jobs: z.number().int().min(1).max(32).default(2),
});
export type BackupConfig = z.output<typeof backupSchema>;
const BACKUP_DEFAULTS = { keep: 10, keepDays: 14, sanityQueries: [], jobs: 2 };

export const migrationsSchema = z.strictObject({
  lockTimeout: duration.default(5000),
  statementTimeout: duration.default(600_000),
  /** Retries of a migration that hit lock_timeout. */
  retries: z.number().int().min(0).max(20).default(3),
});
export type MigrationsConfig = z.output<typeof migrationsSchema>;
const MIGRATIONS_DEFAULTS = { lockTimeout: 5000, statementTimeout: 600_000, retries: 3 };

// ---- environments -----------------------------------------------------------------------

/** The deploy strategies, the one list (each has its file under strategies/, keyed by this name). */
export const STRATEGIES = ['blue-green', 'canary', 'rolling'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const environmentSchema = z.strictObject({
  description: z.string().max(500).optional(),
  target: targetSchema,
  /** PostgreSQL of the app; "${DATABASE_URL}" style references are expanded; empty = embedded. */
  databaseUrl: z.string().optional(),
  redisUrl: z.string().optional(),
  kafkaBroker: z.string().optional(),
  /** Public URL users reach (smoke tests of the frontend, TLS gate). */
  publicUrl: z.string().url().optional(),
  appEnv: z.enum(['development', 'staging', 'production']).default('development'),
  strategy: z.enum(STRATEGIES).default('blue-green'),
  blueGreen: blueGreenSchema.default({ scaleDownDelay: 600_000, prePromotionSmoke: true }),
  canary: canarySchema.optional(),
  rolling: rollingSchema.default({ maxUnavailable: 0, readyTimeout: 60_000 }),
  maintenance: z.strictObject({
    wrapDeploy: z.boolean().default(false),
    message: z.string().max(500).default('We are upgrading the CC Webapp. Back in a few minutes.'),
    allowCidrs: z.array(z.string()).default([]),
  }).default({ wrapDeploy: false, message: 'We are upgrading the CC Webapp. Back in a few minutes.', allowCidrs: [] }),
  rollback: z.strictObject({
    automatic: z.boolean().default(true),
    allowMigrateDown: z.boolean().default(false),
  }).default({ automatic: true, allowMigrateDown: false }),
  notifications: z.array(notifier).default([]),
  /** Gates whose "cannot check" result this environment accepts, each with a reason. */
  acceptCannotCheck: z.array(z.strictObject({ gate: z.string().min(1), reason: z.string().min(10) })).default([]),
  lockLease: duration.default(60_000),
  /** Parameters of the pre-deployment gates (`ccr preflight`, config/gates-schema.ts). */
  gates: gatesSchema.default(GATES_DEFAULTS),
  backup: backupSchema.default(BACKUP_DEFAULTS),
  migrations: migrationsSchema.default(MIGRATIONS_DEFAULTS),
  /** Point-in-time recovery with pgBackRest (config/pitr-schema.ts); absent = pg_dump backups only. */
  pitr: pitrSchema.optional(),
  /** The secrets (top-level `secrets:`) this environment needs; the configuration gate resolves each. */
  secrets: z.array(secretName).default([]),
});
export type EnvironmentConfig = z.output<typeof environmentSchema>;

export const rolloutSchema = z.strictObject({
  version: z.literal(1),
  defaultEnvironment: id,
  environments: z.record(id, environmentSchema),
  analysis: z.record(id, analysisSchema).default({}),
  /** Where secrets are read from (config/secrets-schema.ts); environments pick theirs by name. */
  secrets: secretsSchema,
  plan: z.array(phaseSchema).min(1),
});
export type RolloutConfig = z.output<typeof rolloutSchema>;
export type CanaryStep = z.output<typeof canaryStep>;
