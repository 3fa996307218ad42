import { lastLines, run } from '../command/index.js';
import { errorMessage } from '../errors.js';
import { lookupAcceptance, type RiskAcceptance } from './risk-acceptance.js';
import { check, type CheckOutcome } from './types.js';

// Dependency audit: `npm audit --json` (report format v2). An error document instead of a
// report (the registry's audit endpoint answers 405 on these machines) is "cannot check",
// never a pass.

type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

interface Advisory { source?: number; name?: string; title?: string; url?: string; severity?: Severity; range?: string }
interface Vulnerability { name: string; severity: Severity; isDirect?: boolean; via: Array<string | Advisory>; range?: string; fixAvailable?: unknown }
export interface AuditReport {
  auditReportVersion: number;
  vulnerabilities: Record<string, Vulnerability>;
  metadata: { vulnerabilities: Record<Severity | 'total', number>; dependencies?: Record<string, number> };
}

export type ParsedAudit = { ok: true; report: AuditReport } | { ok: false; reason: string };

export function parseAuditOutput(text: string): ParsedAudit {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: `npm audit printed no JSON: ${text.trim().slice(0, 200) || '(nothing)'}` };
  }
  const d = doc as Partial<AuditReport> & { message?: string; error?: { summary?: string } };
  if (d && typeof d === 'object' && d.vulnerabilities && d.metadata?.vulnerabilities) return { ok: true, report: d as AuditReport };
  const why = d?.message ?? d?.error?.summary ?? 'not an audit report';
  return { ok: false, reason: `the audit endpoint could not be used: ${why}` };
}

export async function runNpmAudit(cwd: string, timeoutMs: number): Promise<string> {
  try {
    // npm audit exits 1 when it finds something; the JSON says what, so the code is not used.
    const r = await run({ argv: ['npm', 'audit', '--json', '--package-lock-only'], cwd, timeoutMs });
    return r.stdout || JSON.stringify({ message: r.timedOut ? `npm audit printed nothing within ${timeoutMs} ms` : `npm audit printed nothing: ${lastLines(r.stderr, 2)}` });
  } catch (err) {
    return JSON.stringify({ message: `cannot run npm audit: ${errorMessage(err)}` });
  }
}

const ghsa = (url?: string) => url?.match(/GHSA-[\w-]+/)?.[0];

/** Advisory ids behind a vulnerable package, following `via` through other packages. */
function advisoriesOf(report: AuditReport, name: string, seen = new Set<string>()): Advisory[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const v = report.vulnerabilities[name];
  if (!v) return [];
  return v.via.flatMap((via) => (typeof via === 'string' ? advisoriesOf(report, via, seen) : [via]));
}

export interface AuditFinding {
  package: string;
  severity: Severity;
  advisories: Array<{ id: string; title: string; url: string | null }>;
  accepted: { id: string; reason: string; expires: string } | null;
  expiredAcceptance: { id: string; expires: string } | null;
}

export function judgeAudit(report: AuditReport, failOn: string[], acceptances: RiskAcceptance[], now: Date): CheckOutcome {
  const findings: AuditFinding[] = Object.values(report.vulnerabilities)
    .filter((v) => failOn.includes(v.severity))
    .map((v) => {
      const advisories = advisoriesOf(report, v.name).map((a) => ({ id: ghsa(a.url) ?? String(a.source ?? a.name ?? '?'), title: a.title ?? '', url: a.url ?? null }));
      // accepted by package name, or by every advisory behind it
      const byName = lookupAcceptance(acceptances, [v.name], now);
      const perAdvisory = advisories.map((a) => lookupAcceptance(acceptances, [a.id], now));
      const all = byName.status === 'accepted' ? [byName] : perAdvisory.length && perAdvisory.every((l) => l.status === 'accepted') ? perAdvisory : [];
      const expired = [byName, ...perAdvisory].find((l) => l.status === 'expired');
      const first = all[0];
      return {
        package: v.name,
        severity: v.severity,
        advisories,
        accepted: first && first.status === 'accepted' ? { id: first.by.id, reason: first.by.reason, expires: first.by.expires } : null,
        expiredAcceptance: !first && expired && expired.status === 'expired' ? { id: expired.by.id, expires: expired.by.expires } : null,
      };
    });
  const counts = report.metadata.vulnerabilities;
  const countLine = `critical ${counts.critical ?? 0}, high ${counts.high ?? 0}, moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0}`;
  const open = findings.filter((f) => !f.accepted);
  const evidence = { counts, failOn, findings };
  if (!open.length) {
    const accepted = findings.length ? `; ${findings.length} accepted (${findings.map((f) => f.package).join(', ')})` : '';
    return check('dependency-audit', 'pass', `${countLine}${accepted}`, evidence);
  }
  const list = open.map((f) => `${f.package} (${f.severity}${f.advisories[0] ? `, ${f.advisories[0].id}` : ''}${f.expiredAcceptance ? `, acceptance expired ${f.expiredAcceptance.expires}` : ''})`);
  return check('dependency-audit', 'fail', `${countLine}; not accepted: ${list.join(', ')}`, evidence);
}
