import { API_REQUIRED_IN_PRODUCTION, databasePasswordWeakness, jwtSecretWeakness } from '@cc/contracts';
import { secretRefOf } from '../config/index.js';
import { resolveEnvironmentSecrets } from '../secrets/index.js';
import { check, fromChecks, type CheckOutcome, type Gate } from './types.js';

// Configuration and secrets (seed I.2): the environment's settings as the API will receive
// them, validated with the API's production rules (shared through @cc/contracts): no missing
// required setting, no default or weak secret, every URL of the right kind. Only setting names
// and reasons are reported; a value never leaves this function.

const urlOf = (v: string, protocols: string[]) => {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

const SHAPES: Record<string, { test: (v: string) => boolean; want: string }> = {
  DATABASE_URL: { test: (v) => urlOf(v, ['postgres:', 'postgresql:']), want: 'a postgres:// URL' },
  REDIS_URL: { test: (v) => urlOf(v, ['redis:', 'rediss:']), want: 'a redis:// or rediss:// URL' },
  KAFKA_BROKER: { test: (v) => /^[A-Za-z0-9.\-_]+:\d+(?:,[A-Za-z0-9.\-_]+:\d+)*$/.test(v), want: 'host:port, comma separated' },
  SENTRY_DSN: { test: (v) => urlOf(v, ['http:', 'https:']), want: 'an http(s) URL' },
};

/**
 * The API's environment variables for this environment, as the deploy would pass them. A
 * "secret:<name>" setting takes the resolved secret's value; one that did not resolve is left
 * out (its own check already failed).
 */
export function apiSettings(input: Parameters<Gate>[0], secrets: ReadonlyMap<string, string> = new Map()): Record<string, string> {
  const s: Record<string, string> = { APP_ENV: input.env.appEnv };
  if (input.env.databaseUrl) s['DATABASE_URL'] = input.env.databaseUrl;
  if (input.env.redisUrl) s['REDIS_URL'] = input.env.redisUrl;
  if (input.env.kafkaBroker) s['KAFKA_BROKER'] = input.env.kafkaBroker;
  for (const [k, v] of Object.entries(input.gates.settings)) {
    const ref = secretRefOf(v);
    const value = ref ? secrets.get(ref) : v;
    if (value) s[k] = value;
  }
  return s;
}

export const configGate: Gate = async (input) => {
  const checks: CheckOutcome[] = [];
  // Every secret the environment lists is read now, from its provider, so a deploy never
  // starts with one that cannot be read. Evidence names the provider and source, never the value.
  const values = new Map<string, string>();
  for (const o of await resolveEnvironmentSecrets({ secrets: input.secrets ?? {} }, input.env.secrets)) {
    const evidence = { secret: o.name, provider: o.provider, source: o.source };
    if (o.ok) values.set(o.name, o.value);
    checks.push(o.ok ? check(`secret:${o.name}`, 'pass', `read from ${o.source}`, evidence) : check(`secret:${o.name}`, 'fail', o.error, evidence));
  }
  const s = apiSettings(input, values);
  // The gate checks what production will demand, whatever appEnv says: staging rehearses it.
  for (const name of API_REQUIRED_IN_PRODUCTION) {
    if (!s[name]) checks.push(check(name, 'fail', `is missing (required in production mode)`));
  }
  for (const [name, shape] of Object.entries(SHAPES)) {
    const v = s[name];
    if (v && !shape.test(v)) checks.push(check(name, 'fail', `is not ${shape.want}`));
  }
  const jwt = s['JWT_SECRET'];
  if (jwt) {
    const weak = jwtSecretWeakness(jwt);
    checks.push(weak ? check('JWT_SECRET', 'fail', weak) : check('JWT_SECRET', 'pass', `set, ${Buffer.byteLength(jwt)} bytes, not a known default`));
  }
  const db = s['DATABASE_URL'];
  if (db && SHAPES['DATABASE_URL']!.test(db)) {
    const weak = databasePasswordWeakness(db);
    checks.push(weak ? check('DATABASE_URL', 'fail', `${weak}`) : check('DATABASE_URL', 'pass', 'set, with a non-default password'));
  }
  for (const name of ['REDIS_URL', 'KAFKA_BROKER', 'SENTRY_DSN']) {
    if (s[name] && !checks.some((c) => c.name === name)) checks.push(check(name, 'pass', 'set'));
  }
  const names = Object.keys(s).sort();
  checks.unshift(check('settings', 'pass', `checked in production mode: ${names.join(', ')}`, { names, appEnv: input.env.appEnv }));
  return fromChecks(checks);
};
