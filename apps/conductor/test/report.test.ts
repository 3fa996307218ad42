import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { collectReport } from '../src/report/collect.js';
import { renderHtml, renderMarkdown } from '../src/report/render.js';
import { writeReports } from '../src/report/write.js';
import { openStorePool } from '../src/store/index.js';
import { scratchDatabase } from './support/scratch-db.js';
import { seedReleases, type Seeded } from './support/release-seed.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The release record from a store seeded the way the engine leaves it (see release-seed.ts):
// a canary release with three analysis windows, weight changes, a hypercare breach and a
// rollback.

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;

describe('release record', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let seeded: Seeded;
  let gatesTable = false;
  const home = tempDir('ccr-report-');

  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
    seeded = await seedReleases(pool);
    gatesTable = Boolean((await pool.query(`SELECT to_regclass('gate_results') AS t`)).rows[0].t);
    if (gatesTable) {
      await pool.query(`INSERT INTO gate_results (release_id, env, ref, gate, result, accepted, acceptance_reason, summary, evidence, actor)
        VALUES ($1, 'staging', 'v1.4.0', 'gate.security', 'cannot-check', true, 'npm audit endpoint unreachable from CI', 'audit: cannot check', '{"status":405}', 'bob')`, [seeded.rolledBack]);
    }
  });
  after(async () => {
    await pool.end();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });

  test('markdown: summary, timeline with durations, sign-offs, incidents, retrospective', async () => {
    const md = renderMarkdown(await collectReport(pool, seeded.rolledBack));
    assert.match(md, /^# Release record: r-20260302100000-bbbb/);
    assert.match(md, /\| \*\*Outcome\*\* \| rolled_back: hypercare: error rate 12\.0% over the limit of 5\.0% \|/);
    assert.match(md, /\| \*\*Duration\*\* \| 15 min 0 s \|/);
    // timeline: every step in order with its duration
    const timeline = md.slice(md.indexOf('## Timeline'), md.indexOf('## Gates'));
    assert.deepEqual([...timeline.matchAll(/^\| \d+ \| [\w-]+ \| ([\w-]+) \|/gm)].map((m) => m[1]), ['ci-green', 'final-code-review', 'deploy-backend', 'hypercare']);
    assert.match(timeline, /\| deploy-backend \| deploy\.backend \| done \| 2026-03-02 10:02:40 \| 2026-03-02 10:08:40 \| 6 min 0 s \|/);
    assert.match(timeline, /\| 95 s \|/);
    assert.match(md, /\| final-code-review \| carol \| reviewed #812 \|/);
    if (gatesTable) assert.match(md, /\| gate\.security \| cannot-check \| audit: cannot check \| yes: npm audit endpoint unreachable from CI \|/);
    else assert.match(md, /records no gate results/);
    const incidents = md.slice(md.indexOf('## Incidents and rollbacks'), md.indexOf('## Notifications'));
    assert.match(incidents, /hypercare\.breach \| error rate 12\.0% over the limit of 5\.0%/);
    assert.match(incidents, /rollback\.completed/);
    assert.doesNotMatch(incidents, /hypercare\.started/);
    const retro = md.slice(md.indexOf('## Retrospective'));
    for (const h of ['### What went well', '### What to improve', '### Actions', '| Action | Owner | Due |']) assert.ok(retro.includes(h), h);
  });

  test('measurements are drawn as SVG charts carrying their values, with the limit line', async () => {
    const md = renderMarkdown(await collectReport(pool, seeded.rolledBack));
    const charts = [...md.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    const errorChart = charts.find((c) => c.includes('aria-label="default: error-rate"'))!;
    assert.ok(errorChart, 'an error-rate chart');
    // each window's value is a point, coloured by its verdict, and the stable baseline is a series
    for (const v of ['0.40%', '0.60%', '3.10%']) assert.ok(errorChart.includes(`error-rate `) && errorChart.includes(`: ${v}`), `value ${v}`);
    assert.equal((errorChart.match(/fill="#dc2626"><title>/g) ?? []).length, 1, 'one failing window drawn red');
    assert.ok(errorChart.includes('baseline (stable)'));
    const latency = charts.find((c) => c.includes('aria-label="default: p95-latency"'))!;
    assert.ok(latency.includes(': 88.4 ms'));
    assert.ok(latency.includes('limit 45.0 ms'), 'a constant threshold is a dashed limit line');
    const traffic = charts.find((c) => c.includes('Traffic weights: api'))!;
    assert.ok(traffic.includes('1.4.0-def5678') && traffic.includes('1.3.0-abc1234'));
    assert.match(md, /\| 2026-03-02 10:08:20 \| api \| 0% \| 100% \|/);
  });

  test('HTML is one self-contained file: inline CSS and SVG, no script, no external reference', async () => {
    const html = renderHtml(await collectReport(pool, seeded.rolledBack));
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<style>[^<]+<\/style>/);
    assert.ok((html.match(/<svg /g) ?? []).length >= 3);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import|https?:\/\//i);
    assert.match(html, /<h2>Retrospective<\/h2>/);
    assert.match(html, /<td class="bad">fail<\/td>/);
  });

  test('the report step files (.cc/reports/<release>.md and .html) and ccr report on the command line', async () => {
    const files = await writeReports(pool, home, seeded.promoted);
    assert.deepEqual(files, [join(home, 'reports', `${seeded.promoted}.md`), join(home, 'reports', `${seeded.promoted}.html`)]);
    assert.match(readFileSync(files[0]!, 'utf8'), /No measurements were taken\./);
    // Records carry evidence: 0600 files in a 0700 folder.
    for (const f of files) assert.equal((statSync(f).mode & 0o777).toString(8), '600', f);
    assert.equal((statSync(join(home, 'reports')).mode & 0o777).toString(8), '700');
    const env = { ...process.env, CCR_DATABASE_URL: db.url, CCR_HOME: home };
    const { stdout } = await run(process.execPath, [join(root, 'apps/conductor/bin/ccr.mjs'), 'report', seeded.rolledBack, '--format', 'html'], { cwd: root, env });
    assert.match(stdout, /<title>Release record r-20260302100000-bbbb<\/title>/);
    const bad = await run(process.execPath, [join(root, 'apps/conductor/bin/ccr.mjs'), 'report', 'r-nope', '--json'], { cwd: root, env }).then(
      () => assert.fail('an unknown release must fail'),
      (e: { stdout: string; code: number }) => e,
    );
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stdout).error.code, 'not_found');
  });
});
