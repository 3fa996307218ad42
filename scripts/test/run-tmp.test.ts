// The runner's per-run temp folder: what counts as a test's leak, and what does not.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: plain JS module of the test runner, without type declarations
import { createRunTmp, leftovers, removeRunTmp } from '../lib/run-tmp.mjs';
import { tempDir } from '../lib/temp-dir.js';

test('a run folder is /tmp-like, counts project-named leftovers, lists tools\' apart, and goes whole', () => {
  const parent = tempDir('cc-runtmp-test-');
  const dir = createRunTmp(parent) as string;
  assert.equal(statSync(dir).mode & 0o7777, 0o1777, 'sticky and world-writable, as /tmp');
  assert.deepEqual(leftovers(dir), { ours: [], tools: [] }, 'the shared cache and the tsx cache link are not leftovers');
  const tsxLink = join(dir, `tsx-${process.geteuid?.() ?? 'user'}`);
  assert.ok(lstatSync(tsxLink).isSymbolicLink(), 'tsx compiles into the cache every run shares');

  mkdirSync(join(dir, 'ccr-lint-abc'));
  mkdirSync(join(dir, 'cc-router-test-x'));
  mkdirSync(join(dir, 'playwright-artifacts-1'));
  writeFileSync(join(dir, '.summary'), '');
  mkdirSync(join(dir, '.cache', 'ccr-test-artifact-cache'), { recursive: true });
  assert.deepEqual(leftovers(dir, ['.summary']), { ours: ['cc-router-test-x', 'ccr-lint-abc'], tools: ['playwright-artifacts-1'] });

  removeRunTmp(dir);
  assert.equal(existsSync(dir), false);
  assert.ok(existsSync(join(parent, `tsx-${process.geteuid?.() ?? 'user'}`)), 'the shared tsx cache itself stays');
});
