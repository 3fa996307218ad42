import type { NotifyData, NotifyEvent, NotifyMessage, NotifyMetric } from './types.js';

// The seed's status updates, one template each. Every message names the release, the
// environment and both versions, so a reader in a chat channel needs no other context.

const v = (x: string | null | undefined) => x ?? 'none';

function fmt(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined) return 'n/a';
  const s = Number.isInteger(n) ? String(n) : Math.abs(n) < 1 ? n.toFixed(4).replace(/0+$/, '') : n.toFixed(2);
  return `${s}${unit}`;
}

/** "error-rate = 0.21 (threshold 0.05, stable 0.01)" */
export function metricLine(m: NotifyMetric): string {
  const extra = [
    m.threshold !== undefined ? `threshold ${fmt(m.threshold, m.unit)}` : null,
    m.baseline !== undefined ? `stable ${fmt(m.baseline, m.unit)}` : null,
  ].filter(Boolean);
  return `${m.name} = ${fmt(m.value, m.unit)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

interface Template {
  severity: NotifyMessage['severity'];
  title(d: NotifyData): string;
  lead(d: NotifyData): string;
}

const TEMPLATES: Record<NotifyEvent, Template> = {
  scheduled: {
    severity: 'info',
    title: (d) => `[${d.env}] Release ${v(d.version)} scheduled${d.at ? ` for ${d.at}` : ''}`,
    lead: (d) => `A release of ${v(d.version)} to ${d.env} is scheduled${d.at ? ` for ${d.at}` : ''}. Users may see a short maintenance window.`,
  },
  started: {
    severity: 'info',
    title: (d) => `[${d.env}] Release ${v(d.version)} started`,
    lead: (d) => `Deployment of ${v(d.version)} to ${d.env} has started, replacing ${v(d.previousVersion)}.`,
  },
  progress: {
    severity: 'info',
    title: (d) => `[${d.env}] Release ${v(d.version)}: ${d.percent ?? 0}%`,
    lead: (d) => `Deployment of ${v(d.version)} to ${d.env} is ${d.percent ?? 0}% done.`,
  },
  issue: {
    severity: 'warning',
    title: (d) => `[${d.env}] Release ${v(d.version)}: issue encountered`,
    lead: (d) => `Deployment of ${v(d.version)} to ${d.env} ran into an issue; the team is on it.`,
  },
  completed: {
    severity: 'good',
    title: (d) => `[${d.env}] Release ${v(d.version)} completed`,
    lead: (d) => `${v(d.version)} is live on ${d.env} (previously ${v(d.previousVersion)}).`,
  },
  'rollback-initiated': {
    severity: 'danger',
    title: (d) => `[${d.env}] Rolling back ${v(d.version)} to ${v(d.previousVersion)}`,
    lead: (d) => `Release ${v(d.version)} on ${d.env} is being rolled back to ${v(d.previousVersion)}.`,
  },
  'rollback-completed': {
    severity: 'warning',
    title: (d) => `[${d.env}] Rollback to ${v(d.previousVersion)} completed`,
    lead: (d) => `${d.env} is back on ${v(d.previousVersion)}; ${v(d.version)} has been withdrawn.`,
  },
};

export function renderNotification(event: NotifyEvent, d: NotifyData): NotifyMessage {
  const t = TEMPLATES[event];
  const fields = [
    { label: 'Release', value: d.releaseId ?? 'n/a' },
    { label: 'Environment', value: d.env },
    { label: 'Version', value: v(d.version) },
    { label: 'Previous version', value: v(d.previousVersion) },
    ...(event === 'progress' ? [{ label: 'Progress', value: `${d.percent ?? 0}%` }] : []),
    ...(d.reason ? [{ label: 'Reason', value: d.reason }] : []),
  ];
  const numbers = d.metrics?.length ? d.metrics.map(metricLine) : [];
  if (numbers.length) fields.push({ label: 'Measured', value: numbers.join('; ') });
  const text = [
    t.lead(d),
    '',
    ...fields.filter((f) => f.label !== 'Measured').map((f) => `${f.label}: ${f.value}`),
    ...(numbers.length ? ['', 'Measured:', ...numbers.map((n) => `  - ${n}`)] : []),
  ].join('\n');
  return { event, title: t.title(d), text, fields, severity: t.severity };
}
