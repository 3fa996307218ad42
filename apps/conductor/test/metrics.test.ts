import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { writeMetricsFile } from '../src/metrics/textfile.js';
import { openStorePool } from '../src/store/index.js';
import { scratchDatabase } from './support/scratch-db.js';
import { at, seedReleases } from './support/release-seed.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The conductor's metrics come from the store; the textfile collector file is what Prometheus
// (through node_exporter) reads, so the test reads that file.

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('conductor metrics', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  const home = tempDir('ccr-metrics-');

  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
    await seedReleases(pool);
  });
  after(async () => {
    await pool.end();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });

  test('releases, step durations, verdicts, rollbacks, breaches and backups in ccr.prom', async () => {
    const file = await writeMetricsFile(pool, home, new Date(at(1000)));
    assert.equal(file, join(home, 'metrics', 'ccr.prom'));
    const text = readFileSync(file, 'utf8');
    assert.equal(sample(text, 'ccr_releases', { env: 'staging', state: 'promoted' }), 1);
    assert.equal(sample(text, 'ccr_releases', { env: 'staging', state: 'rolled_back' }), 1);
    assert.equal(sample(text, 'ccr_releases_started_total', { env: 'staging' }), 2);
    // deploy.backend ran 360 s: in the 600 s bucket, not in the 300 s one
    assert.equal(sample(text, 'ccr_step_duration_seconds_bucket', { type: 'deploy.backend', status: 'done', le: '300' }), 0);
    assert.equal(sample(text, 'ccr_step_duration_seconds_bucket', { type: 'deploy.backend', status: 'done', le: '600' }), 1);
    assert.equal(sample(text, 'ccr_step_duration_seconds_sum', { type: 'hypercare', status: 'failed' }), 360);
    assert.equal(sample(text, 'ccr_analysis_verdicts_total', { metric: 'error-rate', verdict: 'pass' }), 2);
    assert.equal(sample(text, 'ccr_analysis_verdicts_total', { metric: 'error-rate', verdict: 'fail' }), 1);
    assert.equal(sample(text, 'ccr_rollbacks_total', { env: 'staging' }), 1);
    assert.equal(sample(text, 'ccr_hypercare_breaches_total', { env: 'staging', signal: 'error-rate' }), 1);
    assert.equal(sample(text, 'ccr_backup_failures_total', { env: 'staging' }), 1);
    assert.equal(sample(text, 'ccr_backup_last_success_timestamp_seconds', { env: 'staging' }), Date.parse(at(-86_200)) / 1000);
    assert.equal(sample(text, 'ccr_metrics_generated_timestamp_seconds'), Date.parse(at(1000)) / 1000);
    // promtool lints the exposition format the textfile collector will serve (throws on errors)
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });

  test('backups taken by ccr backup count too: a failed verification is a failure, the newest good one the last success', async () => {
    const ins = (id: string, env: string, status: string, at: string) => pool.query(
      `INSERT INTO backups (id, env, database, server_version, pg_dump_version, path, size_bytes, sha256, duration_ms, schema_version, table_counts, status, created_at)
       VALUES ($1, $2, 'cc', '15.8', '15.8', '/b', 1, 'x', 1, 1, '{}', $3, $4)`, [id, env, status, at]);
    await ins('b-1', 'production', 'verify_failed', at(2000));
    await ins('b-2', 'production', 'verified', at(1500));
    await ins('b-3', 'production', 'pruned', at(1000));
    const text = readFileSync(await writeMetricsFile(pool, home), 'utf8');
    assert.equal(sample(text, 'ccr_backup_failures_total', { env: 'production' }), 1);
    assert.equal(sample(text, 'ccr_backup_last_success_timestamp_seconds', { env: 'production' }), Date.parse(at(1500)) / 1000);
    assert.equal(sample(text, 'ccr_backup_failures_total', { env: 'staging' }), 1, 'the staging step figures are unchanged');
  });

  test('a new rollback raises the counter on the next write, and no temp file is left behind', async () => {
    await pool.query(`INSERT INTO audit_log (actor, env, action, result, details) VALUES ('dave', 'staging', 'rollback.completed', 'ok', '{}')`);
    const text = readFileSync(await writeMetricsFile(pool, home), 'utf8');
    assert.equal(sample(text, 'ccr_rollbacks_total', { env: 'staging' }), 2);
    assert.deepEqual(readdirSync(join(home, 'metrics')), ['ccr.prom']);
    assert.ok(existsSync(join(home, 'metrics', 'ccr.prom')));
  });
});
