import type { Readable } from 'node:stream';
import type { Command, CommandResult } from './command.js';

// The narrow interface every command goes through. The local executor runs commands on this
// machine; another executor (a remote host over SSH) can run the same commands, so plans and
// the code that builds them never care where they run.

export interface RunOptions {
  /** Aborting stops the command's process group, like a timeout (result.aborted). */
  readonly signal?: AbortSignal | undefined;
  /** Standard input read from this stream instead of command.stdin (the second half of a pipeline). */
  readonly stdinFrom?: Readable | undefined;
  /** 'stream': stdout is handed out by start() as a stream and not kept in the result (default 'capture'). */
  readonly stdout?: 'capture' | 'stream' | undefined;
  /** Bytes kept of each output stream, its tail (default 16 MiB). */
  readonly maxOutputBytes?: number | undefined;
  /** Between SIGTERM and SIGKILL when a command is stopped (default 2000 ms). */
  readonly killGraceMs?: number | undefined;
}

export interface RunningCommand {
  /** The command's stdout, when started with { stdout: 'stream' }; else null. */
  readonly stdout: Readable | null;
  /** Resolves once the command ended and its output closed; rejects (CcrError) only when it could not start. */
  readonly done: Promise<CommandResult>;
  /** Stops the command's process group: SIGTERM, then SIGKILL after the grace. */
  stop(): void;
}

export interface CommandExecutor {
  /** Runs a command to completion. A non-zero exit is a result; rejects (CcrError `not_found`, `command_failed`) only when it cannot start. */
  run(command: Command, options?: RunOptions): Promise<CommandResult>;
  /** Starts a command and returns at once; for output read as a stream (a dump written to a file, a pipeline). */
  start(command: Command, options?: RunOptions): RunningCommand;
}
