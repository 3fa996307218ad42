import { errorMessage } from '../errors.js';
import { knownSecrets, notStartedResult, run, type Command, type CommandResult } from '../command/index.js';

// A configured gate command (CI, review or DAST hook) runs in a shell with a timeout; the tail
// of its output is the evidence. A shell that cannot start is a result too (the gate says
// "cannot check"), never an exception.

export function gateCommand(script: string, o: { cwd: string; timeoutMs: number; env?: Record<string, string> }): Command {
  // NODE_TEST_CONTEXT would make a node:test run report to us instead of printing its summary
  // redact: a script may hold expanded ${VAR} values, and it may print them
  return { argv: ['sh', '-c', script], cwd: o.cwd, timeoutMs: o.timeoutMs, env: { ...o.env, NODE_TEST_CONTEXT: undefined }, redact: knownSecrets() };
}

export async function runGateCommand(script: string, o: { cwd: string; timeoutMs: number; env?: Record<string, string> }): Promise<CommandResult> {
  const command = gateCommand(script, o);
  try {
    return await run(command);
  } catch (err) {
    return notStartedResult(command, `cannot start: ${errorMessage(err)}`);
  }
}

/**
 * The test summary of a run, "N passed, N failed", from the formats our tools print:
 * node:test (`# pass 12` / `ℹ pass 12`), mocha/jest/vitest (`12 passing`, `12 passed`, `1 failed`).
 */
export function testSummary(output: string): { passed: number; failed: number; line: string } | null {
  const last = (re: RegExp) => {
    const all = [...output.matchAll(re)];
    const m = all[all.length - 1];
    return m ? Number(m[1]) : null;
  };
  const passed = last(/^[#ℹ]\s*pass\s+(\d+)\s*$/gm) ?? last(/(\d+)\s+pass(?:ed|ing)\b/g);
  const failed = last(/^[#ℹ]\s*fail\s+(\d+)\s*$/gm) ?? last(/(\d+)\s+fail(?:ed|ing|ures?)?\b/g) ?? (passed !== null ? 0 : null);
  if (passed === null || failed === null) return null;
  return { passed, failed, line: `${passed} passed, ${failed} failed` };
}

export const tail = (text: string, lines = 8) => text.trim().split('\n').slice(-lines).join('\n');
