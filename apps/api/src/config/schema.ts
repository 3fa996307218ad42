import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { API_REQUIRED_IN_PRODUCTION } from '@cc/contracts';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { DEV_JWT_SECRET, databasePasswordWeakness, jwtSecretWeakness } from './secrets.js';

// One schema for every setting the API reads. Environment variables are the only input, so
// the keys are the variable names and every error names the variable at fault.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const BROKER_RE = /^[A-Za-z0-9._-]+:\d{1,5}$/;

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** One trusted proxy: a named range, an IP address, or a CIDR block. */
function proxyEntryProblem(entry: string): string | null {
  if (PROXY_RANGES.includes(entry)) return null;
  const [addr = '', prefix, extra] = entry.split('/');
  const family = isIP(addr);
  if (!family || extra !== undefined) return `"${entry}" is not an IP address, a CIDR block or one of ${PROXY_RANGES.join(', ')}`;
  if (prefix === undefined) return null;
  const bits = Number(prefix);
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && bits <= max ? null : `"${entry}": the prefix length must be 0-${max}`;
}

// Which peers may tell us the client's address in X-Forwarded-For. Never "everyone": a client
// would rotate the header to dodge the per-IP limits. Either the proxies' own addresses
// (the rightmost untrusted address wins) or how many proxies sit in front (hop count).
const trustProxy = z.string().transform((raw, c): string[] | number | false => {
  const v = raw.trim();
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 10) c.addIssue({ code: 'custom', message: 'a hop count must be 0-10' });
    return hops;
  }
  if (v === 'true') {
    c.addIssue({ code: 'custom', message: 'trusting every proxy lets clients forge X-Forwarded-For; list the proxies (IPs or CIDRs, comma separated) or give a hop count' });
    return z.NEVER;
  }
  const entries = v.split(',').map((e) => e.trim());
  entries.forEach((e, i) => {
    const problem = proxyEntryProblem(e);
    if (problem) c.addIssue({ code: 'custom', message: `entry ${i + 1}: ${problem}` });
  });
  return entries;
});

export const configSchema = z.object({
  APP_ENV: z.enum(['development', 'staging', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  // GET /metrics is served here only, never on PORT (9464: the Prometheus exporter convention).
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: int(0, 65535).default(9464),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  // Small pools win on small servers: on 2 cores, 12 connections gave ~25% more spins/s and a
  // lower p99 than 20 (npm run bench:api with BENCH_POOL_MAX). Size it to the database's cores.
  DATABASE_POOL_MAX: int(1, 500).default(12),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().max(64).default('cc:'),
  // Each broker is checked on its own (split on commas) rather than by one repeated group.
  KAFKA_BROKER: z
    .string()
    .refine((v) => v.split(',').every((b) => BROKER_RE.test(b)), 'must be host:port, comma separated for several brokers')
    .optional(),
  KAFKA_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('topic_user_actions'),
  KAFKA_CLIENT_ID: z.string().min(1).default('cc-api'),
  JWT_SECRET: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(10, 900).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 90).default(30),
  SENTRY_DSN: url(['http:', 'https:']).optional(),
  SENTRY_TRACES_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  APP_VERSION: z.string().min(1).max(100).default('dev'),
  APP_COMMIT: z.string().max(64).default('unknown'),
  APP_BUILT_AT: z.string().max(64).default('unknown'),
  WEB_DIST: z.string().min(1).optional(),
  TRUST_PROXY: trustProxy.default(['loopback']),
  LOGIN_MAX_FAILURES_PER_NICKNAME: int(1, 1000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: int(1, 100000).default(30),
  LOGIN_FAILURE_WINDOW_SECONDS: int(1, 86400).default(900),
  SIGNUP_MAX_FAILURES_PER_IP: int(1, 100000).default(20),
  SIGNUP_WINDOW_SECONDS: int(1, 86400).default(900),
  MIGRATION_LOCK_TIMEOUT_MS: int(0, 3_600_000).default(5000),
  MIGRATION_STATEMENT_TIMEOUT_MS: int(0, 86_400_000).default(600_000),
  MIGRATE_ON_START: bool.default(false),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 60_000).default(0),
  MIGRATIONS_DIR: z.string().min(1).optional(),
  OUTBOX_RELAY_INTERVAL_MS: int(10, 60_000).default(250),
  OUTBOX_BATCH_SIZE: int(1, 10_000).default(500),
  SIGNUP_BONUS: int(0, 1_000_000).default(1000),
  // Only `npm run bench:api` sets it, to measure the cost of the revocation check (and the
  // fair-play derivation) side by side: it turns both off. Refused in production.
  BENCH_BASELINE: bool.default(false),
});

export type Config = z.output<typeof configSchema> & { JWT_SECRET: string };

/** Settings that may be given as NAME_FILE, the way Docker and Kubernetes mount secrets. */
const FILE_SETTINGS = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKER', 'JWT_SECRET', 'SENTRY_DSN'] as const;

/** Settings production cannot run without (shared with the conductor's configuration gate). */
const REQUIRED_IN_PRODUCTION = API_REQUIRED_IN_PRODUCTION;

function readFileSettings(env: NodeJS.ProcessEnv, issues: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of FILE_SETTINGS) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) {
      issues.push(`${name}: set both ${name} and ${name}_FILE; use only one`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      issues.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return out;
}

export interface LoadConfigOptions {
  /**
   * What production cannot run without; default: all the API server needs. The migration
   * CLI (the release's migration Job) passes ['DATABASE_URL']: it never touches Redis, Kafka
   * or tokens, so its pod gets only the database secret. Weak values are refused either way.
   */
  requiredInProduction?: readonly (typeof REQUIRED_IN_PRODUCTION)[number][];
}

/**
 * Validates the environment in two passes: shape (the schema) and meaning (production refusals).
 * Throws a ConfigError listing every problem at once, each naming its variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadConfigOptions = {}): Config {
  const issues: string[] = [];
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  Object.assign(input, readFileSettings(env, issues));

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    throw new ConfigError(issues);
  }
  const cfg = parsed.data;

  if (cfg.METRICS_PORT !== 0 && cfg.METRICS_PORT === cfg.PORT) issues.push('METRICS_PORT: must differ from PORT (metrics are served on their own listener)');
  if (cfg.APP_ENV === 'production') {
    if (cfg.BENCH_BASELINE) issues.push('BENCH_BASELINE: turns off logout revocation; only the benchmark may set it, never production');
    for (const name of opts.requiredInProduction ?? REQUIRED_IN_PRODUCTION) {
      if (!cfg[name]) issues.push(`${name}: is required when APP_ENV=production`);
    }
    if (cfg.JWT_SECRET) {
      const weak = jwtSecretWeakness(cfg.JWT_SECRET);
      if (weak) issues.push(`JWT_SECRET: ${weak}; generate one with \`openssl rand -base64 48\``);
    }
    if (cfg.DATABASE_URL) {
      const weak = databasePasswordWeakness(cfg.DATABASE_URL);
      if (weak) issues.push(`DATABASE_URL: ${weak}; production needs a unique database password`);
    }
  } else if (cfg.JWT_SECRET && Buffer.byteLength(cfg.JWT_SECRET) < 32) {
    issues.push('JWT_SECRET: must be at least 32 bytes long');
  }
  if (issues.length) throw new ConfigError(issues);

  return { ...cfg, JWT_SECRET: cfg.JWT_SECRET ?? DEV_JWT_SECRET };
}
