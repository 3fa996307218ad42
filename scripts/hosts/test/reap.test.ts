import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAlive, runSync, type ProcRef } from '../proc.js';
// @ts-expect-error: plain JS module of the test runner, without type declarations
import { reapFleets } from '../../lib/reap-leftovers.mjs';

// A fleet must not outlive the process that made it, however that process ends: a signal or a
// normal exit runs the fleet's own teardown; a SIGKILL (a test file killed by the runner's
// timeout) leaves it to the reaper that the test runner calls after every run.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));

interface ChildFleet {
  id: string;
  dir: string;
  bridge: string;
  netns: string[];
  refs: ProcRef[];
}

async function startChild(mode: 'wait' | 'return', asNobody = false): Promise<{ child: ChildProcess; fleet: ChildFleet | null; out: string; err: string }> {
  const node = [process.execPath, '--import', 'tsx', CHILD, mode];
  const argv = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit');
  const line = new Promise<void>((resolve) => child.stdout!.on('data', () => out.includes('\n') && resolve()));
  await Promise.race([line, exited]);
  const first = out.split('\n')[0]!;
  return { child, fleet: first.startsWith('{') ? (JSON.parse(first) as ChildFleet) : null, out, err };
}

function gone(f: ChildFleet): void {
  const ns = runSync('ip', ['netns', 'list']).stdout;
  for (const n of f.netns) assert.ok(!ns.includes(n), `netns ${n} removed`);
  assert.notEqual(runSync('ip', ['link', 'show', f.bridge]).code, 0, `bridge ${f.bridge} removed`);
  assert.deepEqual(f.refs.filter(isAlive), [], 'no process of the fleet runs');
  assert.equal(existsSync(f.dir), false, 'its directory is removed');
}

test('SIGTERM to the creating process tears its fleet down, then the process dies of the signal', async () => {
  const { child, fleet, err } = await startChild('wait');
  assert.ok(fleet, err);
  assert.ok(fleet.refs.every(isAlive));
  child.kill('SIGTERM');
  const [code, signal] = await once(child, 'exit');
  assert.deepEqual([code, signal], [null, 'SIGTERM']);
  gone(fleet);
});

test('a creating process that ends without destroy() still leaves nothing (exit handler)', async () => {
  const { child, fleet, err } = await startChild('return');
  assert.ok(fleet, err);
  const [code] = child.exitCode !== null ? [child.exitCode] : await once(child, 'exit');
  assert.equal(code, 0);
  gone(fleet);
});

test('a fleet whose creator was SIGKILLed is removed by the reaper the test runner calls', async () => {
  const { child, fleet, err } = await startChild('wait');
  assert.ok(fleet, err);
  child.kill('SIGKILL');
  await once(child, 'exit');
  // The fleet's processes are detached from their creator: they outlive a SIGKILL. (Another
  // run's reaper may already be removing them; the end state below is what must hold.)
  const leftover = fleet.refs.some(isAlive);
  const said: string[] = [];
  const reaped = reapFleets(ROOT, (l: string) => said.push(l)) as string[];
  if (leftover && existsSync(fleet.dir)) assert.ok(reaped.includes(fleet.id), `reaped ${JSON.stringify(reaped)}; said ${said.join(' | ')}`);
  gone(fleet);
});

test('without root the bed fails with a clear message (it never skips)', async () => {
  const { child, fleet, err } = await startChild('wait', true);
  const [code] = child.exitCode !== null ? [child.exitCode] : await once(child, 'exit');
  assert.equal(fleet, null);
  assert.notEqual(code, 0);
  assert.match(err, /cannot create network namespaces: it needs root \(CAP_NET_ADMIN and CAP_SYS_ADMIN\)/);
});
