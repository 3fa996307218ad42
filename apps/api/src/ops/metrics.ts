import client from 'prom-client';

// One registry per app instance (not the global one) so tests can build many apps in one
// process and each /metrics only shows its own numbers.
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'cc_api_' });

  const httpRequests = new client.Counter({
    name: 'cc_api_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'cc_api_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const plays = new client.Counter({
    name: 'cc_api_plays_total',
    help: 'Game plays by game (synthetic users excluded)',
    labelNames: ['game'] as const,
    registers: [registry],
  });
  const bets = new client.Counter({
    name: 'cc_api_bets_coins_total',
    help: 'Coins wagered by game (synthetic users excluded)',
    labelNames: ['game'] as const,
    registers: [registry],
  });
  const payouts = new client.Counter({
    name: 'cc_api_payouts_coins_total',
    help: 'Coins paid out by game (synthetic users excluded)',
    labelNames: ['game'] as const,
    registers: [registry],
  });
  const signups = new client.Counter({
    name: 'cc_api_signups_total',
    help: 'Sign-ups (synthetic users excluded)',
    registers: [registry],
  });
  const logins = new client.Counter({
    name: 'cc_api_logins_total',
    help: 'Login attempts by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const rewardClaims = new client.Counter({
    name: 'cc_api_daily_rewards_total',
    help: 'Daily reward claims (synthetic users excluded)',
    registers: [registry],
  });
  const outboxPending = new client.Gauge({
    name: 'cc_api_outbox_pending',
    help: 'Events in the outbox not yet published to Kafka',
    registers: [registry],
  });
  const outboxOldestAge = new client.Gauge({
    name: 'cc_api_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when empty)',
    registers: [registry],
  });
  const outboxPublished = new client.Counter({
    name: 'cc_api_outbox_published_total',
    help: 'Events published to Kafka by the relay',
    registers: [registry],
  });
  const relayErrors = new client.Counter({
    name: 'cc_api_outbox_relay_errors_total',
    help: 'Relay attempts that failed to publish to Kafka',
    registers: [registry],
  });
  const dbPool = new client.Gauge({
    name: 'cc_api_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const dependencyUp = new client.Gauge({
    name: 'cc_api_dependency_up',
    help: '1 when a dependency answered its last readiness check',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });
  const info = new client.Gauge({
    name: 'cc_api_build_info',
    help: 'Version of the running API (value is always 1)',
    labelNames: ['version', 'commit'] as const,
    registers: [registry],
  });

  return {
    registry,
    httpRequests,
    httpDuration,
    plays,
    bets,
    payouts,
    signups,
    logins,
    rewardClaims,
    outboxPending,
    outboxOldestAge,
    outboxPublished,
    relayErrors,
    dbPool,
    dependencyUp,
    info,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
