import { resolveRef } from '../artifacts/git.js';
import { asWritten } from '../command/index.js';
import { withReleaseWorktree } from './release-worktree.js';
import { runGateCommand, tail, testSummary } from './run-command.js';
import { check, fromChecks, type Gate } from './types.js';

// CI green (seed I.1): runs the configured test command in a worktree of the release commit,
// or asks CI through a hook (exit 0 = green), and records the "N passed, N failed" summary.

export const ciGate: Gate = async (input) => {
  const ci = input.gates.ci;
  if (!ci) return fromChecks([check('ci', 'cannot-check', 'no CI command or hook is configured (gates.ci)')]);
  const { commit } = await resolveRef(input.repo, input.ref);
  const env = { CCR_REF: input.ref, CCR_COMMIT: commit, CCR_ENV: input.envName };
  const { run, timeout } = 'command' in ci ? ci.command : ci.hook;
  const r = 'command' in ci
    ? await withReleaseWorktree(input.repo, commit, (dir) => runGateCommand(run, { cwd: dir, timeoutMs: timeout, env }))
    : await runGateCommand(run, { cwd: input.repo, timeoutMs: timeout, env });
  const summary = testSummary(r.output);
  const evidence = { mode: 'command' in ci ? 'command' : 'hook', command: asWritten(run), commit, exitCode: r.exitCode, durationMs: r.durationMs, summary: summary?.line ?? null, output: tail(r.output) };
  if (r.timedOut) return fromChecks([check('ci', 'fail', `timed out after ${timeout} ms${summary ? ` (${summary.line})` : ''}`, evidence)]);
  if (r.exitCode === null) return fromChecks([check('ci', 'cannot-check', `could not run: ${tail(r.output, 1)}`, evidence)]);
  if (r.exitCode !== 0) return fromChecks([check('ci', 'fail', `exited ${r.exitCode}${summary ? `: ${summary.line}` : `: ${tail(r.output, 1)}`}`, evidence)]);
  if (summary && summary.failed > 0) return fromChecks([check('ci', 'fail', `exited 0 but reports ${summary.line}`, evidence)]);
  return fromChecks([check('ci', 'pass', summary ? summary.line : 'exited 0 (no test summary in its output)', evidence)]);
};
