// One way to run a process (DESIGN §5): commands are data, executors run them.
export { describe, formatArgv, howItEnded, lastLines, notStartedResult, redactText, redactedArgv, REDACTED, succeeded, type Command, type CommandResult } from './command.js';
export type { CommandExecutor, RunningCommand, RunOptions } from './executor.js';
export { commandEnv, launch, localExecutor, startError, type LaunchedProcess, type LaunchOptions } from './local-executor.js';
export { failure, runChecked, runPlan, type CheckOptions, type PlanOptions } from './plan.js';
export { asWritten, knownSecrets, MIN_SECRET_LENGTH, redactDeep, redactKnown, rememberSecret, rememberTemplate } from './known-secrets.js';
export { groupAlive, isAlive, signalGroup, terminate, waitForExit } from './process-group.js';

import type { Command } from './command.js';
import type { RunOptions } from './executor.js';
import { localExecutor } from './local-executor.js';

/** Runs a command on this machine (localExecutor.run). */
export const run = (command: Command, options?: RunOptions) => localExecutor.run(command, options);
