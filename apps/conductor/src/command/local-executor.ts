import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { CcrError } from '../errors.js';
import { redactText, redactedArgv, type Command, type CommandResult } from './command.js';
import type { CommandExecutor, RunningCommand, RunOptions } from './executor.js';
import { OutputBuffer } from './output-buffer.js';
import { signalGroup } from './process-group.js';

// Runs commands on this machine. Each one gets its own session (detached), so a timeout or an
// abort stops the whole process group, grandchildren included: SIGTERM, then SIGKILL after a
// grace. Groups still running when this process exits are killed, so a run-to-completion
// command never outlives the ccr that started it.

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;
/** After the command exits, how long a grandchild may keep its output open before we stop reading. */
const CLOSE_AFTER_EXIT_MS = 2000;

const liveGroups = new Set<number>();
let exitHookInstalled = false;
function track(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of liveGroups) signalGroup(g, 'SIGKILL');
  });
}

export function commandEnv(command: Command): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = command.inheritEnv === false ? {} : { ...process.env };
  for (const [k, v] of Object.entries(command.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function onPath(bin: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = bin.includes('/') ? [''] : (env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const d of dirs) {
    const p = d ? join(d, bin) : bin;
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The clear, coded error for a command that could not start. */
export function startError(command: Command, cause?: unknown): CcrError {
  const bin = command.argv[0] ?? '';
  const prefix = command.description ? `${redactText(command.description, command.redact)}: ` : '';
  const details = { argv0: bin, errno: (cause as NodeJS.ErrnoException | undefined)?.code ?? null };
  if (command.cwd && !existsSync(command.cwd)) {
    return new CcrError('command_failed', `${prefix}cannot run ${bin}: its working folder ${command.cwd} does not exist`, { cause, details });
  }
  const found = onPath(bin, commandEnv(command));
  if (!found) {
    return new CcrError('not_found', `${prefix}cannot run ${bin}: no such program${bin.includes('/') ? '' : ' on PATH'}`, { cause, details });
  }
  try {
    accessSync(found, constants.X_OK);
  } catch {
    return new CcrError('command_failed', `${prefix}cannot run ${bin}: ${found} is not executable`, { cause, details });
  }
  return new CcrError('command_failed', `${prefix}cannot run ${bin}: ${(cause as Error | undefined)?.message ?? 'it did not start'}`, { cause, details });
}

function spawnChild(command: Command, stdio: Parameters<typeof spawn>[2]['stdio'], extra: { uid?: number; gid?: number } = {}): ChildProcess {
  const [bin, ...args] = command.argv;
  if (!bin) throw new CcrError('command_failed', 'cannot run a command with an empty argv');
  return spawn(bin, args, { cwd: command.cwd, env: commandEnv(command), detached: true, stdio, ...extra });
}

export function startLocal(command: Command, options: RunOptions = {}): RunningCommand {
  const started = performance.now();
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const streamOut = options.stdout === 'stream';
  const feedsStdin = command.stdin !== undefined || options.stdinFrom !== undefined;
  let child: ChildProcess;
  try {
    child = spawnChild(command, [feedsStdin ? 'pipe' : 'ignore', 'pipe', 'pipe']);
  } catch (err) {
    const failed = Promise.reject(err instanceof CcrError ? err : startError(command, err));
    failed.catch(() => undefined); // the caller sees it through `done`
    return { stdout: null, done: failed, stop: () => undefined };
  }
  const out = new OutputBuffer(max);
  const errs = new OutputBuffer(max);
  const both = new OutputBuffer(max);
  if (!streamOut) child.stdout!.on('data', (c: Buffer) => { out.push(c); both.push(c); });
  child.stderr!.on('data', (c: Buffer) => { errs.push(c); both.push(c); });
  if (child.stdin) {
    child.stdin.on('error', () => undefined); // EPIPE: the command exited without reading it all
    if (options.stdinFrom) options.stdinFrom.pipe(child.stdin);
    else child.stdin.end(command.stdin);
  }

  let stopping = false;
  let timedOut = false;
  let aborted = false;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  const pid = child.pid;
  if (pid !== undefined) track(pid);
  let closed = false;
  const stop = () => {
    if (stopping || closed || pid === undefined) return;
    stopping = true;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), grace);
  };
  const timeout = command.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; stop(); }, command.timeoutMs) : undefined;
  const onAbort = () => { aborted = true; stop(); };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<CommandResult>((resolve, reject) => {
    const cleanup = () => {
      closed = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearTimeout(closeTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) liveGroups.delete(pid);
    };
    child.once('error', (err) => {
      if (exited) return;
      cleanup();
      reject(startError(command, err));
    });
    child.once('exit', () => {
      exited = true;
      // A grandchild that kept our pipes open (a daemon a hook started) must not hold the result.
      closeTimer = setTimeout(() => {
        if (!streamOut) child.stdout?.destroy();
        child.stderr?.destroy();
      }, CLOSE_AFTER_EXIT_MS);
    });
    child.once('close', (code, signal) => {
      if (pid === undefined) return; // never started: 'error' reports it
      cleanup();
      if (stopping) signalGroup(pid, 'SIGKILL'); // stragglers that ignored SIGTERM
      const r = (s: string) => redactText(s, command.redact);
      resolve({
        argv: redactedArgv(command),
        exitCode: code,
        signal,
        timedOut,
        aborted,
        stdout: r(out.text()),
        stderr: r(errs.text()),
        output: r(both.text()),
        truncated: out.truncated || errs.truncated,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
  return { stdout: streamOut ? child.stdout : null, done, stop };
}

/** The executor for this machine. */
export const localExecutor: CommandExecutor = {
  run: (command, options) => startLocal(command, options).done,
  start: startLocal,
};

export interface LaunchOptions {
  /** Where output goes: appended to a file (created 0600), kept in memory (its tail), or dropped. */
  readonly output: { appendTo: string } | 'capture' | 'ignore';
  /** Run as this user (root starting PostgreSQL as postgres). */
  readonly user?: { uid: number; gid: number } | undefined;
  /** Open descriptors handed to the process as its fds 3, 4, … (listening sockets a supervisor holds). */
  readonly inheritFds?: readonly number[] | undefined;
}

export interface LaunchedProcess {
  readonly pid: number;
  /** Resolves with how it ended, when this process started it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** How it ended, or null while it runs. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** What it printed ('capture' only): the last 64 KiB, redacted. */
  output(): string;
  /** Lets this process exit while the launched one keeps running. */
  unref(): void;
  /** SIGTERM to its group, SIGKILL after graceMs; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a long-running process (a daemon, a server for a test) in its own session. It is not
 * stopped when this process exits: instances, the router and PostgreSQL outlive the ccr that
 * started them, and a restarted supervisor adopts them. Throws the coded start error at once
 * when it cannot start (no such program, a missing folder).
 */
export function launch(command: Command, options: LaunchOptions): LaunchedProcess {
  let fd: number | undefined;
  if (typeof options.output === 'object') {
    mkdirSync(dirname(options.output.appendTo), { recursive: true });
    fd = openSync(options.output.appendTo, 'a', 0o600);
  }
  let child: ChildProcess;
  try {
    const sink = fd ?? (options.output === 'capture' ? 'pipe' : 'ignore');
    child = spawnChild(command, ['ignore', sink, sink, ...(options.inheritFds ?? [])], options.user ? { uid: options.user.uid, gid: options.user.gid } : {});
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let status: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve((status = { code, signal })));
    child.once('error', () => resolve((status ??= { code: null, signal: null })));
  });
  // Node reports a failed spawn with an 'error' event a tick later, but without a pid at once.
  if (child.pid === undefined) throw startError(command);
  const pid = child.pid;
  const captured = new OutputBuffer(64 * 1024);
  child.stdout?.on('data', (c: Buffer) => captured.push(c));
  child.stderr?.on('data', (c: Buffer) => captured.push(c));
  return {
    pid,
    exited,
    exitStatus: () => status,
    output: () => redactText(captured.text(), command.redact),
    unref: () => child.unref(),
    async stop(graceMs = DEFAULT_KILL_GRACE_MS) {
      if (status) return;
      signalGroup(pid, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
}
