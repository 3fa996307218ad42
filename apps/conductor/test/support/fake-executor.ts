import type { Command, CommandExecutor, CommandResult } from '../../src/command/index.js';

// An executor for plan tests: it records each command and answers with what `answer` returns
// (stdout, exit status), without starting a process. Plans that stream output never use it.

export interface FakeAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export function fakeExecutor(answer: (command: Command) => FakeAnswer | void | Promise<FakeAnswer | void> = () => undefined): CommandExecutor & { seen: Command[] } {
  const seen: Command[] = [];
  return {
    seen,
    async run(command) {
      seen.push(command);
      const a = (await answer(command)) ?? {};
      const stdout = a.stdout ?? '';
      const stderr = a.stderr ?? '';
      const result: CommandResult = { argv: command.argv, exitCode: a.exitCode ?? 0, signal: null, timedOut: false, aborted: false, stdout, stderr, output: stdout + stderr, truncated: false, durationMs: 0 };
      return result;
    },
    start() {
      throw new Error('fakeExecutor runs plans only; start() is not faked');
    },
  };
}
