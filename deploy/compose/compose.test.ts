import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';

// No Docker engine runs here, so compose.yaml is checked for structure: every reference
// resolves, long-running services have health checks, secrets only arrive through env_file
// or secret files, ports are sane, and the HAProxy front end's config passes `haproxy -c`.
// Each rule is also shown to catch a broken copy, so the checks cannot pass vacuously.

const run = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;
const source = readFileSync(join(here, 'compose.yaml'), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: unknown;
  environment?: Record<string, string> | string[];
  env_file?: string[] | string;
  secrets?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  restart?: string;
}
interface Compose { services: Record<string, Service>; secrets?: Record<string, { file?: string }>; volumes?: Record<string, unknown> }

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|DATABASE_URL|DSN)$/;
/** One-shot jobs run to completion; everything else must report health. */
const ONE_SHOT = new Set(['migrate']);
const REQUIRED = ['api', 'web', 'postgres', 'redis', 'kafka', 'prometheus', 'alertmanager', 'grafana', 'haproxy'];

function load(text: string): Compose {
  return parse(text, { merge: true }) as Compose;
}

export function checkCompose(doc: Compose): string[] {
  const problems: string[] = [];
  const names = Object.keys(doc.services ?? {});
  for (const required of REQUIRED) if (!names.includes(required)) problems.push(`missing service ${required}`);
  const hostPorts = new Map<string, string>();
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    const at = `services.${name}`;
    if (!svc.image) problems.push(`${at}: no image`);
    else if (!/:[^/]+$/.test(svc.image) || /:latest$/.test(svc.image)) problems.push(`${at}.image: pin a tag (${svc.image})`);
    if (!ONE_SHOT.has(name) && !svc.healthcheck) problems.push(`${at}: no healthcheck`);
    if (svc.healthcheck && (!Array.isArray(svc.healthcheck.test) || !['CMD', 'CMD-SHELL'].includes(svc.healthcheck.test[0]!))) problems.push(`${at}.healthcheck.test: must be ["CMD", ...] or ["CMD-SHELL", ...]`);
    const deps = Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_started' }])) : (svc.depends_on ?? {});
    for (const [dep, { condition }] of Object.entries(deps)) {
      if (!names.includes(dep)) problems.push(`${at}.depends_on.${dep}: no such service`);
      else if (condition === 'service_healthy' && !doc.services[dep]!.healthcheck) problems.push(`${at}.depends_on.${dep}: waits for health but ${dep} has no healthcheck`);
      else if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition)) problems.push(`${at}.depends_on.${dep}: unknown condition ${condition}`);
    }
    const env = Array.isArray(svc.environment) ? Object.fromEntries(svc.environment.map((e) => e.split(/=(.*)/s).slice(0, 2))) : (svc.environment ?? {});
    for (const [key, value] of Object.entries(env)) {
      if (SECRET_NAME.test(key) && String(value ?? '') !== '') problems.push(`${at}.environment.${key}: secret value inline; use env_file or secrets`);
      if (/^[a-z]+:\/\/[^/\s:@]+:[^@\s]+@/i.test(String(value))) problems.push(`${at}.environment.${key}: URL with credentials inline`);
    }
    for (const file of [svc.env_file ?? []].flat()) {
      if (!existsSync(join(here, `${file}.example`))) problems.push(`${at}.env_file: ${file} has no ${file}.example`);
    }
    for (const secret of svc.secrets ?? []) if (!doc.secrets?.[secret]) problems.push(`${at}.secrets: ${secret} is not declared`);
    for (const port of svc.ports ?? []) {
      const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+):(\d+)$/.exec(port);
      if (!m) { problems.push(`${at}.ports: ${port} is not [ip:]host:container`); continue; }
      const [, ip, host, container] = m;
      for (const p of [host, container]) if (Number(p) < 1 || Number(p) > 65535) problems.push(`${at}.ports: ${port} out of range`);
      const clash = hostPorts.get(`${ip ?? '0.0.0.0'}:${host}`) ?? hostPorts.get(`0.0.0.0:${host}`);
      if (clash) problems.push(`${at}.ports: host port ${host} also published by ${clash}`);
      hostPorts.set(`${ip ?? '0.0.0.0'}:${host}`, name);
      // Only the front end faces the network; the rest is reachable on loopback for operators.
      if (name !== 'haproxy' && ip !== '127.0.0.1') problems.push(`${at}.ports: ${port} is published on every interface; bind it to 127.0.0.1`);
    }
    for (const volume of svc.volumes ?? []) {
      const src = volume.split(':')[0]!;
      if (src.startsWith('.')) { if (!existsSync(join(here, src))) problems.push(`${at}.volumes: ${src} does not exist`); }
      else if (!doc.volumes || !(src in doc.volumes)) problems.push(`${at}.volumes: named volume ${src} is not declared`);
    }
  }
  for (const [name, secret] of Object.entries(doc.secrets ?? {})) {
    if (!secret.file) problems.push(`secrets.${name}: must come from a file`);
  }
  return problems;
}

describe('deploy/compose', () => {
  test('compose.yaml parses and passes every structural check', () => {
    assert.deepEqual(checkCompose(load(source)), []);
  });

  test('Kafka runs in KRaft mode (no ZooKeeper settings)', () => {
    const doc = load(source);
    const env = doc.services['kafka']!.environment as Record<string, string>;
    assert.match(env['KAFKA_PROCESS_ROLES']!, /controller/);
    assert.match(env['KAFKA_CONTROLLER_QUORUM_VOTERS']!, /^1@kafka:\d+$/);
    assert.deepEqual(Object.keys(env).filter((k) => /ZOOKEEPER/i.test(k)), []);
    assert.equal((doc.services['api']!.environment as Record<string, string>)['KAFKA_BROKER'], 'kafka:9092');
  });

  test('migrations run to completion before the API starts (release phase)', () => {
    const doc = load(source);
    assert.deepEqual(doc.services['api']!.depends_on, { migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' }, kafka: { condition: 'service_healthy' } });
    assert.equal(doc.services['migrate']!.image, doc.services['api']!.image);
    assert.deepEqual(doc.services['migrate']!.command, ['node', 'api/migrate.mjs', 'up']);
  });

  test('env files with secrets are ignored by git', () => {
    const ignored = readFileSync(join(here, '.gitignore'), 'utf8').split('\n');
    for (const f of ['api.env', 'grafana.env', 'secrets/']) assert.ok(ignored.includes(f), f);
  });

  test('each check catches a broken copy', () => {
    const broken = (edit: (d: Compose) => void) => { const d = load(source); edit(d); return checkCompose(d); };
    assert.deepEqual(broken((d) => { (d.services['api']!.environment as Record<string, string>)['JWT_SECRET'] = 'hunter2'; }), ['services.api.environment.JWT_SECRET: secret value inline; use env_file or secrets']);
    assert.deepEqual(broken((d) => { (d.services['web']!.environment ??= {} as Record<string, string>); (d.services['web']!.environment as Record<string, string>)['X'] = 'postgres://cc:pw@db/cc'; }), ['services.web.environment.X: URL with credentials inline']);
    assert.deepEqual(broken((d) => { (d.services['grafana']!.depends_on as Record<string, unknown>)['prometheus2'] = { condition: 'service_started' }; }), ['services.grafana.depends_on.prometheus2: no such service']);
    assert.deepEqual(broken((d) => { delete d.services['redis']!.healthcheck; }).sort(), ['services.api.depends_on.redis: waits for health but redis has no healthcheck', 'services.redis: no healthcheck']);
    assert.deepEqual(broken((d) => { d.services['grafana']!.ports = ['3001:3000']; }), ['services.grafana.ports: 3001:3000 is published on every interface; bind it to 127.0.0.1']);
    assert.deepEqual(broken((d) => { d.services['alertmanager']!.ports = ['127.0.0.1:9090:9093']; }), ['services.alertmanager.ports: host port 9090 also published by prometheus']);
    assert.deepEqual(broken((d) => { d.services['redis']!.image = 'docker.io/library/redis:latest'; }), ['services.redis.image: pin a tag (docker.io/library/redis:latest)']);
    assert.deepEqual(broken((d) => { d.services['postgres']!.secrets = ['db_password']; }), ['services.postgres.secrets: db_password is not declared']);
    assert.deepEqual(broken((d) => { delete d.services['kafka']; }).slice(0, 1), ['missing service kafka']);
  });

  test('the HAProxy front end config passes haproxy -c', async () => {
    const { stderr } = await run('haproxy', ['-c', '-f', join(here, 'haproxy.cfg')]);
    assert.doesNotMatch(stderr, /\[ALERT\]/);
    const cfg = readFileSync(join(here, 'haproxy.cfg'), 'utf8');
    assert.match(cfg, /option httpchk GET \/health\/ready/);
  });
});
