import type pg from 'pg';
import { listMeasurements, type StoredMeasurement } from '../analysis/record.js';
import { CcrError } from '../errors.js';
import { gateResultsOf, type StoredGateResult } from '../gates/record.js';
import { getRelease, getSteps, listAudit, type AuditEntry, type Release, type StepRecord } from '../store/index.js';

// Everything the release record shows, read from the store in one place: the release, its
// steps with durations, sign-offs, gate results (when the gates' table exists), analysis and
// hypercare measurements, traffic weights over time, smoke results, notifications, and the
// audit entries that tell of incidents and rollbacks.

type Queryable = Pick<pg.Pool, 'query'>;

export interface TimelineStep extends StepRecord {
  durationMs: number | null;
}

export interface ReleaseRecord {
  release: Release;
  steps: TimelineStep[];
  signOffs: Array<{ stepId: string; actor: string; note: string; at: string }>;
  /** null: the store has no gate_results table (gates not installed). */
  gates: StoredGateResult[] | null;
  measurements: StoredMeasurement[];
  traffic: Array<{ service: string; weights: Record<string, number>; at: string }>;
  smoke: Array<{ version: string; check: string; ok: boolean; durationMs: number; error: string | null; at: string }>;
  notifications: Array<{ channel: string; event: string; ok: boolean; error: string | null; at: string }>;
  audit: AuditEntry[];
  /** Audit entries about things going wrong: breaches, failures, aborts, rollbacks. */
  incidents: AuditEntry[];
  generatedAt: string;
}

const INCIDENT = /rollback|breach|fail|abort|interrupt|issue|incident|ended/;
const iso = (d: Date) => d.toISOString();

export async function collectReport(db: Queryable, releaseId: string, now = new Date()): Promise<ReleaseRecord> {
  const release = await getRelease(db, releaseId);
  if (!release) throw new CcrError('not_found', `no release ${releaseId} in the store (ccr history lists them)`);
  const steps = (await getSteps(db, releaseId)).map((s) => ({
    ...s,
    durationMs: s.startedAt && s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : null,
  }));
  const signOffs = (await db.query('SELECT step_id, actor, note, at FROM approvals WHERE release_id = $1 ORDER BY at', [releaseId])).rows
    .map((r) => ({ stepId: r.step_id, actor: r.actor, note: r.note, at: iso(r.at) }));
  let gates: StoredGateResult[] | null = null;
  if ((await db.query(`SELECT to_regclass('gate_results') AS t`)).rows[0].t) {
    gates = await gateResultsOf(db, releaseId);
  }
  const traffic = (await db.query('SELECT service, weights, at FROM traffic_history WHERE release_id = $1 ORDER BY at, id', [releaseId])).rows
    .map((r) => ({ service: r.service, weights: r.weights, at: iso(r.at) }));
  const smoke = (await db.query('SELECT version, check_name, ok, duration_ms, error, at FROM smoke_results WHERE release_id = $1 ORDER BY id', [releaseId])).rows
    .map((r) => ({ version: r.version, check: r.check_name, ok: r.ok, durationMs: r.duration_ms, error: r.error, at: iso(r.at) }));
  const notifications = (await db.query('SELECT channel, event, ok, error, at FROM notifications WHERE release_id = $1 ORDER BY id', [releaseId])).rows
    .map((r) => ({ channel: r.channel, event: r.event, ok: r.ok, error: r.error, at: iso(r.at) }));
  const audit = await listAudit(db, { releaseId, limit: 10_000 });
  return {
    release, steps, signOffs, gates, measurements: await listMeasurements(db, releaseId), traffic, smoke, notifications, audit,
    incidents: audit.filter((a) => INCIDENT.test(a.action) || /fail/.test(a.result)),
    generatedAt: now.toISOString(),
  };
}

/** Measurements grouped into one chart each: per analysis (or hypercare) and metric. */
export function measurementGroups(r: ReleaseRecord): Array<{ analysis: string; metric: string; rows: StoredMeasurement[] }> {
  const groups = new Map<string, { analysis: string; metric: string; rows: StoredMeasurement[] }>();
  for (const m of r.measurements) {
    const key = `${m.analysis}\u0000${m.metric}`;
    if (!groups.has(key)) groups.set(key, { analysis: m.analysis, metric: m.metric, rows: [] });
    groups.get(key)!.rows.push(m);
  }
  return [...groups.values()];
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
