import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { tempDir } from '../../scripts/lib/temp-dir.js';

// The monitoring assets are checked by the tools that will load them: promtool validates the
// scrape configuration and the rules and runs the rules' unit tests; every Grafana PromQL
// expression goes through Prometheus's own parser (wrapped as recording rules for promtool).
// amtool is not packaged on these machines, so alertmanager.yml gets a structural check.

const run = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;
const deploy = join(here, '..');
const tmp = tempDir('cc-prom-');
after(() => rmSync(tmp, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run('promtool', args, { cwd: here });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface Rule { alert?: string; record?: string; expr: string; labels?: Record<string, string> }
const ruleFiles = readdirSync(join(here, 'rules')).filter((f) => f.endsWith('.yml')).map((f) => join('rules', f));
const testFiles = readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.yml')).map((f) => join('tests', f));
const alerts: Rule[] = ruleFiles.flatMap((f) => (parse(readFileSync(join(here, f), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules)).filter((r) => r.alert);

/** Runs expressions through promtool's PromQL parser; returns promtool's complaints, '' when all parse. */
async function parseExpressions(exprs: Array<{ name: string; expr: string }>): Promise<string> {
  const file = join(tmp, `exprs-${Math.random().toString(36).slice(2)}.yml`);
  const rules = exprs.map((e, i) => ({ record: `check:expr_${i}`, expr: e.expr, labels: { source: e.name } }));
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'exprs', rules }] }));
  const r = await promtool('check', 'rules', file);
  return r.ok ? '' : r.out;
}

describe('prometheus', () => {
  test('promtool check config accepts prometheus.yml', async () => {
    // promtool insists the router token file exists: check a copy with a stand-in secret.
    const copy = join(tmp, 'config');
    cpSync(here, copy, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    mkdirSync(join(copy, 'secrets'), { recursive: true });
    writeFileSync(join(copy, 'secrets', 'router-admin-token'), 'stand-in');
    const r = await promtool('check', 'config', join(copy, 'prometheus.yml'));
    assert.ok(r.ok, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  test('promtool check rules accepts every rule file', async () => {
    const r = await promtool('check', 'rules', ...ruleFiles);
    assert.ok(r.ok, r.out);
    assert.equal((r.out.match(/SUCCESS/g) ?? []).length, ruleFiles.length, r.out);
  });

  test('promtool test rules: every unit test passes', async () => {
    const r = await promtool('test', 'rules', ...testFiles);
    assert.ok(r.ok, r.out);
  });

  test('the covered alerts: high error rate, latency, instance down, backlog/lag, low disk, failed backup', () => {
    const names = alerts.map((a) => a.alert);
    for (const n of ['CCHighErrorRate', 'CCLatencySpike', 'CCInstanceDown', 'CCOutboxBacklog', 'CCKafkaConsumerLag', 'CCLowDisk', 'CCBackupFailed']) assert.ok(names.includes(n), `${n} missing`);
  });

  test('every alert has a severity alertmanager routes and a unit test that sees it fire', () => {
    const tested = new Map<string, boolean>();
    for (const f of testFiles) {
      const doc = parse(readFileSync(join(here, f), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
      for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) tested.set(a.alertname, (tested.get(a.alertname) ?? false) || a.exp_alerts.length > 0);
    }
    for (const a of alerts) {
      assert.ok(['page', 'warn'].includes(a.labels?.['severity'] ?? ''), `${a.alert}: severity ${a.labels?.['severity']}`);
      assert.equal(tested.get(a.alert!), true, `${a.alert} has no promtool test where it fires`);
    }
  });

  test('a broken rule is refused: the checks above can fail', async () => {
    const complaint = await parseExpressions([{ name: 'bad', expr: 'sum by (x (rate(foo[5m]))' }]);
    assert.match(complaint, /parse error|unexpected/i);
    const bad = join(tmp, 'bad-test.yml');
    writeFileSync(bad, JSON.stringify({
      rule_files: [join(here, 'rules', 'cc-app.yml')],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: [{ series: 'up{job="cc-api",instance="a"}', values: '1x10' }], alert_rule_test: [{ eval_time: '5m', alertname: 'CCInstanceDown', exp_alerts: [{ exp_labels: { severity: 'page', job: 'cc-api', instance: 'a' } }] }] }],
    }));
    const r = await promtool('test', 'rules', bad);
    assert.equal(r.ok, false, 'an instance that is up must not raise CCInstanceDown');
  });
});

describe('alertmanager', () => {
  interface Route { receiver?: string; matchers?: string[]; routes?: Route[] }
  const am = parse(readFileSync(join(deploy, 'alertmanager', 'alertmanager.yml'), 'utf8')) as { route: Route; receivers: Array<{ name: string }>; inhibit_rules?: unknown[] };

  test('every route names a receiver that exists, and receivers are unique', () => {
    const names = am.receivers.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    const walk = (r: Route): void => {
      if (r.receiver) assert.ok(names.includes(r.receiver), `route to unknown receiver ${r.receiver}`);
      r.routes?.forEach(walk);
    };
    assert.ok(am.route.receiver, 'the root route needs a default receiver');
    walk(am.route);
  });

  test('every severity the rules use has a route matching it', () => {
    const matchers = (am.route.routes ?? []).flatMap((r) => r.matchers ?? []);
    for (const sev of new Set(alerts.map((a) => a.labels!['severity']!))) {
      const hit = matchers.some((m) => {
        const eq = /^severity="([^"]+)"$/.exec(m);
        const re = /^severity=~"([^"]+)"$/.exec(m);
        return (eq && eq[1] === sev) || (re && new RegExp(`^(?:${re[1]})$`).test(sev));
      });
      assert.ok(hit, `no route for severity ${sev}`);
    }
  });

  test('receivers read webhook URLs from files, never inline in git', () => {
    const text = readFileSync(join(deploy, 'alertmanager', 'alertmanager.yml'), 'utf8');
    assert.doesNotMatch(text, /hooks\.slack\.com|api_url:\s|url:\s*https?:/);
  });
});

describe('grafana', () => {
  const dir = join(deploy, 'grafana', 'dashboards');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  interface Panel { id: number; title: string; targets?: Array<{ expr: string }> }
  const dashboards = files.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as { uid: string; title: string; panels: Panel[] } }));

  test('the five dashboards exist, parse, and have unique uids and panel ids', () => {
    const titles = dashboards.map((d) => d.json.title).join(' | ');
    for (const want of [/API performance/, /resources/, /database, Redis and Kafka/, /business/, /rollouts/]) assert.match(titles, want);
    assert.equal(new Set(dashboards.map((d) => d.json.uid)).size, dashboards.length);
    for (const d of dashboards) {
      const ids = d.json.panels.map((p) => p.id);
      assert.ok(ids.length > 0, d.file);
      assert.equal(new Set(ids).size, ids.length, `${d.file}: duplicate panel ids`);
      for (const p of d.json.panels) assert.ok(p.targets?.length, `${d.file} panel ${p.id} has no query`);
    }
  });

  test("every panel's PromQL is accepted by Prometheus's parser", async () => {
    const exprs = dashboards.flatMap((d) => d.json.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ name: `${d.file}#${p.id} ${p.title}`, expr: t.expr }))));
    assert.ok(exprs.length >= 25, `${exprs.length} expressions`);
    assert.equal(await parseExpressions(exprs), '');
  });

  test('provisioning points at the dashboards and the datasource uid the panels use', () => {
    const ds = parse(readFileSync(join(deploy, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    const prov = parse(readFileSync(join(deploy, 'grafana', 'provisioning', 'dashboards', 'cc.yml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
    assert.equal(prov.providers[0]!.type, 'file');
    const uids = new Set(ds.datasources.map((d) => d.uid));
    for (const d of dashboards) for (const p of d.json.panels as Array<Panel & { datasource: { uid: string } }>) assert.ok(uids.has(p.datasource.uid), `${d.file}#${p.id}`);
  });
});
