import { spawn } from 'node:child_process';

// Runs a configured gate command (CI, review or DAST hook) in a shell with a timeout, keeping
// the tail of its output as evidence. The process group is killed on timeout.

export interface CommandResult {
  code: number | null;
  timedOut: boolean;
  output: string;
  durationMs: number;
}

export function runCommand(command: string, o: { cwd: string; timeoutMs: number; env?: Record<string, string> }): Promise<CommandResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    // NODE_TEST_CONTEXT would make a node:test run report to us instead of printing its summary
    const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
    const child = spawn('sh', ['-c', command], { cwd: o.cwd, env: { ...env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let timedOut = false;
    const keep = (b: Buffer) => { out = (out + b.toString()).slice(-64_000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, o.timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: null, timedOut: false, output: `cannot start: ${err.message}`, durationMs: Date.now() - started }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, timedOut, output: out, durationMs: Date.now() - started }); });
  });
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
