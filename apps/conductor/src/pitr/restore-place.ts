import { readdirSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, basename, isAbsolute, join, relative, resolve } from 'node:path';
import { CcrError } from '../errors.js';
import type { PitrLayout } from './layout.js';

// Where a restore goes: a NEW data directory and a port of its own. Never the live data
// directory, never inside it or the repository, never a folder with something in it, never the
// live server's port.

function real(p: string): string {
  // The folder may not exist yet: resolve its closest existing parent, so symlinks cannot hide the live one.
  let cur = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      rest.push(basename(cur));
      const up = dirname(cur);
      if (up === cur) return resolve(p);
      cur = up;
    }
  }
}

const within = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

export function defaultRestoreDir(layout: PitrLayout, now = new Date()): string {
  return `${layout.pgData.replace(/\/+$/, '')}-pitr-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

export function checkRestoreDir(dir: string, layout: PitrLayout): string {
  if (!isAbsolute(dir)) throw new CcrError('usage', `--data-dir ${dir} must be an absolute path`);
  const target = real(dir);
  const live = real(layout.pgData);
  if (within(target, live) || within(live, target)) {
    throw new CcrError('usage', `--data-dir ${dir} is, contains or lies inside the live data directory ${layout.pgData}: a restore never goes over the live cluster`);
  }
  if (within(target, real(layout.repoPath)) || within(real(layout.repoPath), target)) {
    throw new CcrError('usage', `--data-dir ${dir} overlaps the pgBackRest repository ${layout.repoPath}`);
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CcrError('usage', `--data-dir ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (entries.length) throw new CcrError('usage', `--data-dir ${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): a restore goes into a new, empty folder`);
  return target;
}

/** A port nobody listens on now (the kernel's choice), for the restored cluster. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
