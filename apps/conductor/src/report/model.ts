import type { StoredMeasurement } from '../analysis/record.js';
import { formatMs, measurementGroups, type ReleaseRecord } from './collect.js';
import { lineChart, type Series } from './svg.js';

// The release record as format-neutral sections (key/value lists, tables, charts, text), so
// the Markdown and the HTML report say exactly the same things.

export type Block =
  | { kind: 'kv'; rows: Array<[string, string]> }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'svg'; svg: string }
  | { kind: 'text'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'fill-in'; prompts: string[] };

export interface Section {
  title: string;
  blocks: Block[];
}

const time = (s: string | null) => (s ? s.replace('T', ' ').slice(0, 19) : '—');
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function formatterFor(metric: string): (v: number) => string {
  if (/rate|ratio|free|share/.test(metric)) return pct;
  if (/latency|-ms$|duration/.test(metric)) return (v) => `${v.toFixed(1)} ms`;
  return (v) => String(Math.round(v * 1000) / 1000);
}

function measurementChart(analysis: string, metric: string, rows: StoredMeasurement[]): Block[] {
  const fmt = formatterFor(metric);
  const series: Series[] = [{ name: metric, points: rows.map((m) => ({ t: Date.parse(m.at), v: m.value, verdict: m.verdict })) }];
  if (rows.some((m) => m.baseline !== null)) series.push({ name: 'baseline (stable)', points: rows.map((m) => ({ t: Date.parse(m.at), v: m.baseline })) });
  const limits = [...new Set(rows.map((m) => m.threshold).filter((t): t is number => t !== null))];
  if (limits.length > 1) series.push({ name: 'limit', points: rows.map((m) => ({ t: Date.parse(m.at), v: m.threshold })) });
  const svg = lineChart({ title: `${analysis}: ${metric}`, series, threshold: limits.length === 1 ? limits[0]! : null, format: fmt });
  const f = (v: number | null) => (v === null ? '—' : fmt(v));
  return [
    { kind: 'heading', text: `${analysis}: ${metric}` },
    { kind: 'svg', svg },
    { kind: 'table', head: ['Time (UTC)', 'Verdict', 'Value', 'Baseline', 'Limit', 'Samples', 'Reason'], rows: rows.map((m) => [time(m.at), m.verdict, f(m.value), f(m.baseline), f(m.threshold), m.sampleSize === null ? '—' : String(m.sampleSize), m.reason]) },
  ];
}

function trafficBlocks(r: ReleaseRecord): Block[] {
  if (!r.traffic.length) return [{ kind: 'text', text: 'No traffic changes were recorded for this release.' }];
  const out: Block[] = [];
  for (const service of [...new Set(r.traffic.map((t) => t.service))]) {
    const rows = r.traffic.filter((t) => t.service === service);
    const versions = [...new Set(rows.flatMap((t) => Object.keys(t.weights)))];
    const series = versions.map((v) => ({ name: v, points: rows.map((t) => ({ t: Date.parse(t.at), v: t.weights[v] ?? 0 })) }));
    out.push({ kind: 'svg', svg: lineChart({ title: `Traffic weights: ${service}`, series, step: true, yMin: 0, yMax: 100, format: (v) => `${Math.round(v)}%` }) });
    out.push({ kind: 'table', head: ['Time (UTC)', 'Service', ...versions], rows: rows.map((t) => [time(t.at), service, ...versions.map((v) => `${t.weights[v] ?? 0}%`)]) });
  }
  return out;
}

export function buildSections(r: ReleaseRecord): Section[] {
  const rel = r.release;
  const total = rel.finishedAt ? Date.parse(rel.finishedAt) - Date.parse(rel.createdAt) : null;
  const summary: Section = {
    title: 'Summary',
    blocks: [{
      kind: 'kv', rows: [
        ['Release', rel.id], ['Environment', rel.env], ['Ref', rel.ref],
        ['Version', `${rel.version ?? '—'}${rel.commit ? ` (commit ${rel.commit.slice(0, 12)})` : ''}`],
        ['Replaced', rel.previousVersion ?? '— (first release)'], ['Strategy', rel.strategy], ['Started by', `${rel.startedBy} at ${time(rel.createdAt)} UTC`],
        ['Outcome', `${rel.state}: ${rel.reason}`], ['Finished', rel.finishedAt ? `${time(rel.finishedAt)} UTC` : 'still in flight'], ['Duration', formatMs(total)],
        ['Roll-forward only', rel.rollForwardOnly ? 'yes (irreversible migration)' : 'no'],
      ],
    }],
  };
  const timeline: Section = {
    title: 'Timeline',
    blocks: r.steps.length
      ? [{ kind: 'table', head: ['#', 'Phase', 'Step', 'Kind', 'Status', 'Started (UTC)', 'Finished (UTC)', 'Duration', 'Reason'], rows: r.steps.map((s, i) => [String(i + 1), s.phase, s.stepId, s.type ?? s.kind, s.status, time(s.startedAt), time(s.finishedAt), formatMs(s.durationMs), s.reason]) }]
      : [{ kind: 'text', text: 'No step ran.' }],
  };
  const gateBlocks: Block[] = [];
  if (r.gates === null) gateBlocks.push({ kind: 'text', text: 'This store records no gate results (the pre-deployment gates are not installed).' });
  else if (!r.gates.length) gateBlocks.push({ kind: 'text', text: 'No gate results were recorded for this release.' });
  else gateBlocks.push({ kind: 'table', head: ['Gate', 'Result', 'Summary', 'Accepted', 'Evidence', 'By', 'At (UTC)'], rows: r.gates.map((g) => [g.gate, g.result, g.summary, g.accepted ? `yes: ${g.acceptanceReason ?? ''}` : 'no', JSON.stringify(g.evidence).slice(0, 400), g.actor, time(g.at)]) });
  gateBlocks.push({ kind: 'heading', text: 'Sign-offs' });
  gateBlocks.push(r.signOffs.length
    ? { kind: 'table', head: ['Step', 'Signed off by', 'Note', 'At (UTC)'], rows: r.signOffs.map((s) => [s.stepId, s.actor, s.note, time(s.at)]) }
    : { kind: 'text', text: 'No manual sign-offs.' });
  const groups = measurementGroups(r);
  const analysis: Section = {
    title: 'Analysis and hypercare measurements',
    blocks: groups.length ? groups.flatMap((g) => measurementChart(g.analysis, g.metric, g.rows)) : [{ kind: 'text', text: 'No measurements were taken.' }],
  };
  const smoke: Section = {
    title: 'Smoke tests',
    blocks: r.smoke.length
      ? [{ kind: 'table', head: ['Time (UTC)', 'Version', 'Check', 'Result', 'Duration', 'Error'], rows: r.smoke.map((s) => [time(s.at), s.version, s.check, s.ok ? 'ok' : 'FAILED', `${s.durationMs} ms`, s.error ?? '']) }]
      : [{ kind: 'text', text: 'No smoke results were recorded.' }],
  };
  const incidents: Section = {
    title: 'Incidents and rollbacks',
    blocks: r.incidents.length
      ? [{ kind: 'table', head: ['Time (UTC)', 'Who', 'What', 'Result', 'Details'], rows: r.incidents.map((a) => [time(a.at), a.actor, a.action, a.result, JSON.stringify(a.details).slice(0, 300)]) }]
      : [{ kind: 'text', text: 'None: no breach, failure, abort or rollback was recorded.' }],
  };
  const notices: Section = {
    title: 'Notifications',
    blocks: r.notifications.length
      ? [{ kind: 'table', head: ['Time (UTC)', 'Event', 'Channel', 'Delivered'], rows: r.notifications.map((n) => [time(n.at), n.event, n.channel, n.ok ? 'yes' : `no: ${n.error ?? ''}`]) }]
      : [{ kind: 'text', text: 'No notifications were sent.' }],
  };
  const retro: Section = {
    title: 'Retrospective',
    blocks: [
      { kind: 'text', text: 'For the post-deployment review (seed III.5). Fill in with the team; keep the facts above as the record.' },
      { kind: 'heading', text: 'What went well' }, { kind: 'fill-in', prompts: ['', ''] },
      { kind: 'heading', text: 'What to improve' }, { kind: 'fill-in', prompts: ['', ''] },
      { kind: 'heading', text: 'Actions' },
      { kind: 'table', head: ['Action', 'Owner', 'Due'], rows: [['', '', ''], ['', '', '']] },
    ],
  };
  return [summary, timeline, { title: 'Gates and sign-offs', blocks: gateBlocks }, analysis, { title: 'Traffic weights over time', blocks: trafficBlocks(r) }, smoke, incidents, notices, retro];
}
