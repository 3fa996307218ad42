#!/usr/bin/env node
// Runs every *.test.ts (or those under the given folders) with node's test runner and tsx,
// and ends with one "N passed, N failed" line. Test files run in parallel: each creates its
// own database, key prefix and ports, so they never share state.
// Temp folders: the run gets its own (TMPDIR, see lib/run-tmp.mjs). A folder with one of the
// project's names (cc-, ccr-, ccf-) still in it at the end is listed and fails the run (a leak
// is a defect); a tool's is listed only. Then the folder goes, so nothing piles up either way.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { reapFleets, reapLeftovers } from './lib/reap-leftovers.mjs';
import { CACHE_NAME, createRunTmp, leftovers, removeRunTmp } from './lib/run-tmp.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const searchIn = roots.length ? roots : ['apps', 'packages', 'deploy', 'scripts'];

function collect(dir, out) {
  if (/\.test\.tsx?$/.test(dir)) { out.push(relative(root, dir)); return out; }
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, p));
  }
  return out;
}

const files = searchIn.flatMap((d) => collect(join(root, d), [])).sort();
if (files.length === 0) {
  console.error(`no test files found under ${searchIn.join(', ')}`);
  process.exit(1);
}
const runTmp = createRunTmp(tmpdir());
const SUMMARY = '.cc-test-summary.txt';
const summaryFile = join(runTmp, SUMMARY);
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const args = [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=240000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts/summary-reporter.mjs')}`, `--test-reporter-destination=${summaryFile}`,
  ...extra,
  ...files,
];
const runId = randomBytes(8).toString('hex');
const env = { ...process.env, NODE_ENV: 'test', CC_TEST_RUN: runId, TMPDIR: runTmp, CC_TEST_CACHE: join(runTmp, CACHE_NAME) };
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
// Ctrl-C reaches the runner's whole process group; a SIGTERM (a CI timeout) is passed on.
// Either way the test runner ends first, and this process still reaps, checks and cleans up.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (process.platform === 'linux') {
    reapLeftovers(runId, root);
    reapFleets(root);
  }
  const { ours, tools } = leftovers(runTmp, [SUMMARY]);
  let summary;
  try { summary = readFileSync(summaryFile, 'utf8'); } catch { summary = '0 passed, 1 failed (the test runner did not finish)\n'; }
  removeRunTmp(runTmp);
  if (tools.length > 0) {
    console.log(`\n⚠ tools the tests ran left ${tools.length} entr${tools.length === 1 ? 'y' : 'ies'} in the run's temp folder (removed with it): ${tools.join(', ')}`);
  }
  if (ours.length > 0) {
    console.log(`\n✖ the tests left ${ours.length} temp entr${ours.length === 1 ? 'y' : 'ies'} of their own (${runTmp}); each test removes what it creates, also when it fails:`);
    for (const name of ours) console.log(`  ${name}`);
    // Counted as one more failure, so the closing line agrees with the exit status.
    summary = summary.replace(/(\d+) passed, (\d+) failed(?![\s\S]*\d+ passed, \d+ failed)/, (_m, p, f) => `${p} passed, ${Number(f) + 1} failed`);
  }
  // Printed after the run so the counts are always the very last line.
  process.stdout.write(summary);
  process.exit(ours.length > 0 ? 1 : code ?? (signal ? 1 : 0));
});
