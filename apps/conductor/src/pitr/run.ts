import { createInterface } from 'node:readline';
import { localExecutor, type Command } from '../command/index.js';

// PITR's processes (pgbackrest, pg_ctl) as commands of the conductor's command module. They
// run as the owner of the data directory: PostgreSQL refuses to run as root, and pgBackRest
// must write files the server's own archive-push (which runs as that owner) can read. As root,
// `runuser -u <owner> --` switches user with the owner's groups.

export interface RunAs {
  uid: number;
  gid: number;
  /** The user name (runuser needs it), or `uid N` when /etc/passwd has none. */
  name: string;
}

export interface RunOptions {
  /** Run as this user (ccr is root and the data directory is someone else's); null = as ourselves. */
  as: RunAs | null;
  /** Each line of stdout as it arrives (pgBackRest's console log: progress). */
  onLine?: (line: string) => void;
  /** Stop the process group (SIGTERM, then SIGKILL) after this long. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The command, as data: `runuser -u <owner> -- <bin> <args>` when it must switch user. */
export function pitrCommand(bin: string, args: readonly string[], o: Pick<RunOptions, 'as' | 'timeoutMs'>): Command {
  const argv = o.as ? ['runuser', '-u', o.as.name, '--', bin, ...args] : [bin, ...args];
  // cwd '/': the owner may not be allowed into ours (root's home is 0700). English messages,
  // so the tools' output can be explained.
  return { argv, cwd: '/', env: { LC_MESSAGES: 'C', LANG: 'C' }, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) };
}

export async function run(bin: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  const running = localExecutor.start(pitrCommand(bin, args, o), { stdout: 'stream' });
  let stdout = '';
  const lines = running.stdout ? createInterface({ input: running.stdout, crlfDelay: Infinity }) : null;
  const read = (async () => {
    if (!lines) return;
    for await (const line of lines) {
      stdout += `${line}\n`;
      o.onLine?.(line);
    }
  })();
  const r = await running.done;
  await read.catch(() => undefined);
  return { code: r.exitCode ?? 1, stdout, stderr: r.stderr, timedOut: r.timedOut };
}
