import { join } from 'node:path';
import type { Artifact } from '../artifacts/store.js';

// The environment of one API instance: only what the API's config schema reads, built
// from the runtime's settings and the artifact's manifest; never the whole parent
// environment (a stray NODE_OPTIONS or dev setting would leak into the release).

/** Settings taken from the runtime's own environment when set there. */
const PASS_THROUGH = [
  'REDIS_URL', 'REDIS_KEY_PREFIX', 'KAFKA_BROKER', 'KAFKA_TOPIC', 'KAFKA_CLIENT_ID', 'SENTRY_DSN', 'SENTRY_TRACES_SAMPLE_RATE',
  'LOG_LEVEL', 'DATABASE_POOL_MAX', 'SIGNUP_BONUS', 'ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_DAYS',
];

export interface InstanceEnvSettings {
  databaseUrl: string;
  jwtSecret: string;
  appEnv: string;
  /** The runtime's environment, read for PASS_THROUGH settings. */
  parentEnv: NodeJS.ProcessEnv;
}

/** `metricsPort` 0 lets the instance pick one (nothing then knows where its /metrics is). */
export function instanceEnv(settings: InstanceEnvSettings, artifact: Artifact, port: number, metricsPort = 0): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: settings.parentEnv['PATH'] ?? '/usr/bin:/bin',
    HOME: settings.parentEnv['HOME'] ?? '/',
    NODE_ENV: 'production',
    APP_ENV: settings.appEnv,
    HOST: '127.0.0.1',
    PORT: String(port),
    // /metrics is served on this loopback port only, never through the router.
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    DATABASE_URL: settings.databaseUrl,
    JWT_SECRET: settings.jwtSecret,
    APP_VERSION: artifact.manifest.version,
    APP_COMMIT: artifact.manifest.commit,
    APP_BUILT_AT: artifact.manifest.builtAt,
    MIGRATIONS_DIR: join(artifact.dir, artifact.manifest.migrationsDir),
    TRUST_PROXY: 'loopback',
    // The router drains a target before the supervisor stops it; a short delay covers the
    // requests already on their way.
    SHUTDOWN_DRAIN_DELAY_MS: '200',
  };
  if (artifact.manifest.web) env['WEB_DIST'] = join(artifact.dir, artifact.manifest.web);
  for (const name of PASS_THROUGH) {
    const v = settings.parentEnv[name];
    if (v) env[name] = v;
  }
  return env;
}
