#!/usr/bin/env node
// Runs every *.test.ts (or those under the given folders) with node's test runner and tsx,
// and ends with one "N passed, N failed" line. Test files run in parallel: each creates its
// own database, key prefix and ports, so they never share state.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { reapFleets, reapLeftovers } from './lib/reap-leftovers.mjs';

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
const summaryFile = join(mkdtempSync(join(tmpdir(), 'cc-test-')), 'summary.txt');
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
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', CC_TEST_RUN: runId } });
child.on('exit', (code, signal) => {
  if (process.platform === 'linux') {
    reapLeftovers(runId, root);
    reapFleets(root);
  }
  // Printed after the run so the counts are always the very last line.
  try { process.stdout.write(readFileSync(summaryFile, 'utf8')); } catch { console.log('0 passed, 1 failed (the test runner did not finish)'); }
  process.exit(code ?? (signal ? 1 : 0));
});
