import { check, fromChecks, type CheckOutcome, type Gate } from './types.js';

// Monitoring (seed I.2): Prometheus answers, scrapes the app's job with every target up, and
// has the alert rules loaded (its HTTP API: /api/v1/targets and /api/v1/rules); the Sentry
// DSN parses. Only the DSN's host and project are shown, never its key.

interface TargetsResponse { status: string; data: { activeTargets: Array<{ labels: Record<string, string>; scrapePool: string; scrapeUrl: string; health: string; lastError: string; lastScrape: string }> } }
interface RulesResponse { status: string; data: { groups: Array<{ name: string; rules: Array<{ name: string; type: string; health?: string; state?: string }> }> } }

async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

export async function checkPrometheus(o: { url: string; job: string; rules: string[]; timeoutMs: number }): Promise<CheckOutcome[]> {
  const base = o.url.replace(/\/$/, '');
  let targets: TargetsResponse;
  try {
    targets = await getJson<TargetsResponse>(`${base}/api/v1/targets?state=active`, o.timeoutMs);
  } catch (err) {
    // fetch says only "fetch failed"; the cause names the network error
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    return [check('prometheus', 'fail', `Prometheus at ${base} unreachable: ${why}`, { url: base })];
  }
  const out: CheckOutcome[] = [check('prometheus', 'pass', `Prometheus at ${base} answers`, { url: base })];
  const mine = targets.data.activeTargets.filter((t) => t.labels['job'] === o.job || t.scrapePool === o.job);
  const list = mine.map((t) => ({ instance: t.labels['instance'] ?? t.scrapeUrl, health: t.health, lastError: t.lastError || null, lastScrape: t.lastScrape }));
  const down = mine.filter((t) => t.health !== 'up');
  if (!mine.length) out.push(check('targets', 'fail', `no target of job "${o.job}" is configured in Prometheus`, { job: o.job }));
  else if (down.length) out.push(check('targets', 'fail', `${down.length} of ${mine.length} target(s) of job "${o.job}" not up: ${down.map((t) => `${t.labels['instance'] ?? t.scrapeUrl} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ')}`, { job: o.job, targets: list }));
  else out.push(check('targets', 'pass', `${mine.length} target(s) of job "${o.job}" up`, { job: o.job, targets: list }));

  try {
    const rules = await getJson<RulesResponse>(`${base}/api/v1/rules?type=alert`, o.timeoutMs);
    const alerts = rules.data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => ({ group: g.name, name: r.name, health: r.health ?? 'unknown', state: r.state ?? null })));
    const names = new Set(alerts.map((a) => a.name));
    const missing = o.rules.filter((r) => !names.has(r));
    const broken = alerts.filter((a) => a.health === 'err');
    const evidence = { loaded: alerts.length, rules: alerts.slice(0, 100), required: o.rules };
    if (missing.length) out.push(check('alert-rules', 'fail', `alert rule(s) not loaded: ${missing.join(', ')} (${alerts.length} loaded)`, evidence));
    else if (!alerts.length) out.push(check('alert-rules', 'fail', 'no alerting rules are loaded', evidence));
    else if (broken.length) out.push(check('alert-rules', 'fail', `${broken.length} alert rule(s) fail to evaluate: ${broken.map((a) => a.name).join(', ')}`, evidence));
    else out.push(check('alert-rules', 'pass', `${alerts.length} alert rule(s) loaded${o.rules.length ? `, including the ${o.rules.length} required` : ''}`, evidence));
  } catch (err) {
    out.push(check('alert-rules', 'fail', `cannot read the rules: ${(err as Error).message}`));
  }
  return out;
}

/** Sentry DSN: {protocol}://{public key}@{host}[:port]/{path/}{project id}. */
export function parseSentryDsn(dsn: string): { host: string; projectId: string } | string {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `has protocol ${u.protocol}, not http(s)`;
  if (!u.username) return 'has no public key before the @';
  const projectId = u.pathname.split('/').filter(Boolean).pop() ?? '';
  if (!/^\d+$/.test(projectId)) return 'does not end in a numeric project id';
  return { host: u.host, projectId };
}

export const monitoringGate: Gate = async (input) => {
  const g = input.gates;
  const checks: CheckOutcome[] = g.prometheus
    ? await checkPrometheus({ ...g.prometheus, timeoutMs: g.connectTimeout })
    : [check('prometheus', 'cannot-check', 'no Prometheus is configured (gates.prometheus)')];
  const dsn = g.settings['SENTRY_DSN'];
  if (!dsn) checks.push(check('sentry', 'cannot-check', 'no SENTRY_DSN in gates.settings'));
  else {
    const p = parseSentryDsn(dsn);
    checks.push(typeof p === 'string' ? check('sentry', 'fail', `SENTRY_DSN ${p}`) : check('sentry', 'pass', `SENTRY_DSN parses: project ${p.projectId} at ${p.host}`, p));
  }
  return fromChecks(checks);
};
