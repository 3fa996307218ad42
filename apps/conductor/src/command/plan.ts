import { CcrError, type CcrErrorCode } from '../errors.js';
import { describe, howItEnded, lastLines, succeeded, type Command, type CommandResult } from './command.js';
import type { CommandExecutor, RunOptions } from './executor.js';
import { localExecutor } from './local-executor.js';

// Plans are arrays of commands (data a test compares exactly); these run them and turn a failed
// command into the coded error its caller stands for (a failed buildah is `build_failed`, a
// failed kubectl `step_failed`).

export interface CheckOptions extends RunOptions {
  /** The error code of a failure (default `command_failed`). */
  readonly code?: CcrErrorCode | undefined;
  /** The message for a failed result (default: description, how it ended, the last lines of stderr). */
  readonly explain?: ((result: CommandResult, command: Command) => string) | undefined;
  readonly executor?: CommandExecutor | undefined;
}

/** The error a failed result means: "<description>: <program> exited 1: <last lines of stderr>". */
export function failure(command: Command, result: CommandResult, opts: Pick<CheckOptions, 'code' | 'explain'> = {}): CcrError {
  const tail = lastLines(result.stderr || result.output);
  const message = opts.explain ? opts.explain(result, command) : `${describe(command)}: ${result.argv[0]} ${howItEnded(command, result)}: ${tail || 'no output'}`;
  return new CcrError(opts.code ?? 'command_failed', message, { details: { argv: result.argv, exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut } });
}

/** Runs a command and returns its result when it succeeded; throws the coded error otherwise. */
export async function runChecked(command: Command, opts: CheckOptions = {}): Promise<CommandResult> {
  const result = await (opts.executor ?? localExecutor).run(command, opts);
  if (!succeeded(result)) throw failure(command, result, opts);
  return result;
}

export interface PlanOptions extends Omit<CheckOptions, 'explain'> {
  /** Told each command's description before it runs. */
  readonly onProgress?: ((line: string) => void) | undefined;
}

/** Runs a plan in order, stopping at the first failure (thrown as a coded error). */
export async function runPlan(plan: readonly Command[], opts: PlanOptions = {}): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const command of plan) {
    opts.onProgress?.(describe(command));
    results.push(await runChecked(command, opts));
  }
  return results;
}
