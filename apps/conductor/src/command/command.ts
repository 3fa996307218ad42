// A command is plain data (Kamal's habit, DESIGN §5): what to run, where and with what, so a
// plan is an array of commands that tests compare exactly and one executor runs. Nothing in
// here assumes the local machine: the same command can be run by another executor (a remote
// host over SSH), which is why the environment is a delta and the program is looked up on the
// PATH of whoever runs it.

export interface Command {
  /** Program and arguments, never a shell string: argv[0] is looked up on PATH. A shell is `['sh', '-c', script]`. */
  readonly argv: readonly string[];
  /** Variables set for the command; `undefined` removes an inherited one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** false: the command sees only `env`, nothing of the environment it is run from (default true). */
  readonly inheritEnv?: boolean;
  /** Working folder (default: the executor's own). */
  readonly cwd?: string;
  /** Written to standard input, which is then closed; without it standard input is empty. */
  readonly stdin?: string;
  /** The command's process group is stopped after this long (SIGTERM, then SIGKILL after a grace). */
  readonly timeoutMs?: number;
  /** Values that must never be printed or stored: replaced by `***` in the result, errors and descriptions. */
  readonly redact?: readonly string[];
  /** Human summary for progress lines, errors and the audit log (default: the argv). */
  readonly description?: string;
}

/** How a command ended, with its output (redacted). A non-zero exit is a result, not an error. */
export interface CommandResult {
  /** The command's argv, redacted. */
  readonly argv: readonly string[];
  /** Exit status, or null when it was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Stopped because command.timeoutMs passed. */
  readonly timedOut: boolean;
  /** Stopped because the caller's AbortSignal fired. */
  readonly aborted: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they arrived (what a person would have seen). */
  readonly output: string;
  /** An output stream went past the executor's limit and only its tail was kept. */
  readonly truncated: boolean;
  readonly durationMs: number;
}

export const REDACTED = '***';

/** Replaces every redacted value (and its URL-encoded form) in text. */
export function redactText(text: string, values: readonly string[] | undefined): string {
  if (!values?.length) return text;
  let out = text;
  for (const v of values) {
    if (!v) continue;
    for (const form of new Set([v, encodeURIComponent(v)])) out = out.split(form).join(REDACTED);
  }
  return out;
}

export function redactedArgv(command: Command): string[] {
  return command.argv.map((a) => redactText(a, command.redact));
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command as a person would type it (POSIX shell quoting), redacted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (SAFE_WORD.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The description, or the redacted argv when there is none. */
export function describe(command: Command): string {
  return command.description ? redactText(command.description, command.redact) : formatArgv(redactedArgv(command));
}

export function succeeded(result: CommandResult): boolean {
  return result.exitCode === 0 && !result.timedOut && !result.aborted;
}

/** The last lines of a text, joined with " | ", for one-line error messages. */
export function lastLines(text: string, lines = 5, joiner = ' | '): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(joiner);
}

/** "exited 3", "timed out after 500 ms", "was stopped (aborted)", "was killed by SIGKILL". */
export function howItEnded(command: Command, result: CommandResult): string {
  if (result.timedOut) return `timed out after ${command.timeoutMs} ms`;
  if (result.aborted) return 'was stopped (aborted)';
  if (result.exitCode !== null) return `exited ${result.exitCode}`;
  return `was killed by ${result.signal ?? 'a signal'}`;
}

/** A command that could not start, as a result (for callers that report it as data, e.g. a gate's "cannot check"). */
export function notStartedResult(command: Command, reason: string): CommandResult {
  const text = redactText(reason, command.redact);
  return { argv: redactedArgv(command), exitCode: null, signal: null, timedOut: false, aborted: false, stdout: '', stderr: text, output: text, truncated: false, durationMs: 0 };
}
