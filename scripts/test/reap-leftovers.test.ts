import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JS module of the test runner, without type declarations
import { reapLeftovers } from '../lib/reap-leftovers.mjs';
import { tempDir } from '../lib/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('the runner finds processes of its run that serve a CCR_HOME and runs ccr down for each, once', async () => {
  const runId = `t${process.pid}${Date.now()}`;
  const home = tempDir('cc-reap-');
  const env = { ...process.env, CC_TEST_RUN: runId, CCR_HOME: home, CCR_PROJECT_ROOT: ROOT };
  // Two "daemons" of one environment and one process of another run: only the first home is reaped.
  const mine = [0, 1].map(() => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { env, stdio: 'ignore' }));
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { env: { ...env, CC_TEST_RUN: 'another-run' }, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const said: string[] = [];
    const reaped = reapLeftovers(runId, ROOT, (l: string) => said.push(l)) as string[];
    assert.deepEqual(reaped, [home]);
    assert.equal(said.length, 1);
    assert.match(said[0]!, new RegExp(`CCR_HOME ${home}\\): ccr down exited 0`));
    assert.deepEqual(reapLeftovers('no-such-run', ROOT, () => undefined), []);
  } finally {
    for (const p of [...mine, other]) p.kill('SIGKILL');
  }
});
