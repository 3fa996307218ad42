import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { CcrError } from '../src/errors.js';
import { describe as describeCommand, formatArgv, isAlive, launch, localExecutor, run, runChecked, runPlan, waitForExit, type Command, type CommandExecutor, type CommandResult } from '../src/command/index.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The one runner every conductor command goes through (DESIGN §5): real processes, real
// signals. The timeout tests check the whole process group goes, not just the shell.

const tmp = tempDir('ccr-command-');
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Polls a file a script writes a pid into. */
async function pidFrom(file: string, deadlineMs = 10_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    if (Date.now() > until) throw new Error(`no pid in ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('run', () => {
  test('captures stdout, stderr and both interleaved, and the exit status', async () => {
    const r = await run({ argv: ['sh', '-c', 'echo out; echo err >&2; echo out2; exit 3'] });
    assert.equal(r.exitCode, 3);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout, 'out\nout2\n');
    assert.equal(r.stderr, 'err\n');
    assert.match(r.output, /out\n[\s\S]*err\n/);
    assert.deepEqual(r.argv, ['sh', '-c', 'echo out; echo err >&2; echo out2; exit 3']);
  });

  test('feeds stdin, and an empty stdin when none is given', async () => {
    assert.equal((await run({ argv: ['cat'], stdin: 'line one\nline two\n' })).stdout, 'line one\nline two\n');
    const none = await run({ argv: ['cat'], timeoutMs: 10_000 });
    assert.equal(none.exitCode, 0);
    assert.equal(none.stdout, '');
  });

  test('streams stdin from another command (a pipeline)', async () => {
    const first = localExecutor.start({ argv: ['sh', '-c', 'printf "a\\nb\\nc\\n"'] }, { stdout: 'stream' });
    const second = await run({ argv: ['wc', '-l'] }, { stdinFrom: first.stdout! });
    assert.equal((await first.done).exitCode, 0);
    assert.equal(second.stdout.trim(), '3');
  });

  test('env: adds, removes, and a clean environment sees only what is given', async () => {
    process.env['CCR_COMMAND_TEST_INHERITED'] = 'inherited';
    try {
      const r = await run({ argv: ['sh', '-c', 'echo "${CCR_COMMAND_TEST_INHERITED:-unset} $EXTRA"'], env: { EXTRA: 'x' } });
      assert.equal(r.stdout, 'inherited x\n');
      const removed = await run({ argv: ['sh', '-c', 'echo "${CCR_COMMAND_TEST_INHERITED:-unset}"'], env: { CCR_COMMAND_TEST_INHERITED: undefined } });
      assert.equal(removed.stdout, 'unset\n');
      const clean = await run({ argv: ['/usr/bin/env'], inheritEnv: false, env: { ONLY: '1' } });
      assert.equal(clean.stdout, 'ONLY=1\n');
    } finally {
      delete process.env['CCR_COMMAND_TEST_INHERITED'];
    }
  });

  test('runs in cwd', async () => {
    assert.equal((await run({ argv: ['pwd'], cwd: tmp })).stdout.trim(), tmp);
  });

  test('redacts secret values (and their URL-encoded form) from argv, output and descriptions', async () => {
    const secret = 's3cr/t pass';
    const cmd: Command = { argv: ['sh', '-c', `echo "token=${secret}"; echo "url=${encodeURIComponent(secret)}" >&2; exit 1`], redact: [secret] };
    const r = await run(cmd);
    assert.equal(r.stdout, 'token=***\n');
    assert.equal(r.stderr, 'url=***\n');
    assert.ok(!r.argv.join(' ').includes(secret));
    assert.ok(!describeCommand(cmd).includes(secret));
    await assert.rejects(runChecked(cmd), (err: CcrError) => err.code === 'command_failed' && !err.message.includes(secret) && /exited 1: url=\*\*\*/.test(err.message));
  });

  test('a program that does not exist is a coded not_found error naming it', async () => {
    await assert.rejects(run({ argv: ['ccr-no-such-program-xyz', '--version'] }), (err: CcrError) => {
      assert.ok(err instanceof CcrError);
      assert.equal(err.code, 'not_found');
      assert.equal(err.message, 'cannot run ccr-no-such-program-xyz: no such program on PATH');
      return true;
    });
    await assert.rejects(run({ argv: ['true'], cwd: join(tmp, 'missing'), description: 'check' }), /^CcrError: check: cannot run true: its working folder .*missing does not exist$/);
  });

  test('a timeout stops the whole process group, grandchildren included', async () => {
    const pidFile = join(tmp, 'grandchild.pid');
    const started = Date.now();
    const r = await run({ argv: ['sh', '-c', `sleep 300 & echo $! > ${pidFile}; echo started; wait`], timeoutMs: 3000 });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.stdout, 'started\n');
    assert.ok(Date.now() - started < 60_000);
    const grandchild = await pidFrom(pidFile);
    assert.equal(await waitForExit(grandchild, 10_000), true, `grandchild ${grandchild} still runs`);
  });

  test('a group that ignores SIGTERM is killed after the grace', async () => {
    const pidFile = join(tmp, 'stubborn.pid');
    const r = await run({ argv: ['sh', '-c', `trap "" TERM; sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done' & wait`], timeoutMs: 2000 }, { killGraceMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(await waitForExit(await pidFrom(pidFile), 10_000), true);
  });

  test('an abort stops the command like a timeout', async () => {
    const ac = new AbortController();
    const running = run({ argv: ['sleep', '300'] }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const r = await running;
    assert.equal(r.aborted, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.signal, 'SIGTERM');
  });

  test('a daemon left behind holding the output does not hold the result', async () => {
    const pidFile = join(tmp, 'daemon.pid');
    const r = await run({ argv: ['sh', '-c', `sleep 300 & echo $! > ${pidFile}; echo left`] });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'left\n');
    process.kill(await pidFrom(pidFile), 'SIGKILL');
  });

  test('keeps only the tail of output past the limit', async () => {
    const r = await run({ argv: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done'] }, { maxOutputBytes: 100 });
    assert.equal(r.truncated, true);
    assert.ok(r.stdout.length <= 100);
    assert.match(r.stdout, /line 1999\n$/);
  });
});

describe('runChecked and runPlan', () => {
  test('a failed command becomes the caller\'s coded error with the last lines of stderr', async () => {
    await assert.rejects(runChecked({ argv: ['sh', '-c', 'echo one >&2; echo two >&2; exit 2'], description: 'build the thing' }, { code: 'build_failed' }), (err: CcrError) => {
      assert.equal(err.code, 'build_failed');
      assert.equal(err.message, 'build the thing: sh exited 2: one | two');
      return true;
    });
    await assert.rejects(runChecked({ argv: ['sleep', '30'], timeoutMs: 200 }), /^CcrError: sleep 30: sleep timed out after 200 ms: no output$/);
  });

  test('a plan runs in order, reports progress, and stops at the first failure', async () => {
    const seen: string[] = [];
    const progress: string[] = [];
    const fake: CommandExecutor = {
      async run(c) {
        seen.push(c.argv.join(' '));
        return result(c, c.argv[0] === 'fail' ? 1 : 0);
      },
      start: () => { throw new Error('unused'); },
    };
    const plan: Command[] = [{ argv: ['a'], description: 'first' }, { argv: ['fail', 'x y'] }, { argv: ['c'] }];
    await assert.rejects(runPlan(plan, { executor: fake, onProgress: (l) => progress.push(l), code: 'step_failed' }), /fail 'x y': fail exited 1/);
    assert.deepEqual(seen, ['a', 'fail x y']);
    assert.deepEqual(progress, ['first', "fail 'x y'"]);
  });

  test('formatArgv quotes like a shell', () => {
    assert.equal(formatArgv(['kubectl', 'patch', '--patch', '{"a": 1}', "it's"]), `kubectl patch --patch '{"a": 1}' 'it'\\''s'`);
  });
});

describe('launch', () => {
  test('starts a long-running process, captures its output and stops its group', async () => {
    const p = launch({ argv: ['sh', '-c', 'echo ready; sleep 300 & wait'] }, { output: 'capture' });
    const until = Date.now() + 10_000;
    while (!p.output().includes('ready') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(p.output(), 'ready\n');
    assert.equal(p.exitStatus(), null);
    await p.stop(1000);
    assert.deepEqual(p.exitStatus(), { code: null, signal: 'SIGTERM' });
    assert.equal(isAlive(p.pid), false);
  });

  test('appends output to a log file and reports a missing program clearly', async () => {
    const log = join(tmp, 'logs', 'daemon.log');
    const p = launch({ argv: ['sh', '-c', 'echo hello'] }, { output: { appendTo: log } });
    assert.deepEqual(await p.exited, { code: 0, signal: null });
    assert.equal(readFileSync(log, 'utf8'), 'hello\n');
    assert.throws(() => launch({ argv: ['ccr-no-such-daemon'] }, { output: 'ignore' }), (err: CcrError) => err.code === 'not_found' && err.message === 'cannot run ccr-no-such-daemon: no such program on PATH');
  });
});

function result(c: Command, exitCode: number): CommandResult {
  return { argv: c.argv, exitCode, signal: null, timedOut: false, aborted: false, stdout: '', stderr: '', output: '', truncated: false, durationMs: 0 };
}

// a stream fed from memory works as stdinFrom too
test('stdinFrom accepts any readable stream', async () => {
  const r = await run({ argv: ['cat'] }, { stdinFrom: Readable.from(['x', 'y']) });
  assert.equal(r.stdout, 'xy');
});
