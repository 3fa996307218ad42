import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { CcrError } from '../errors.js';

// Folders and files PITR writes belong to the data directory's owner and to nobody else
// (0700 / 0600): the repository holds a copy of every row, and the server's archive-push, which
// runs as that owner, must read the configuration.

export interface Owner {
  uid: number;
  gid: number;
}

/** Creates `dir` and its missing parents for the owner (0700); returns the folders it created. */
export function ensureOwnerDir(dir: string, owner: Owner): string[] {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch {
      missing.unshift(d);
      if (dirname(d) === d) break;
    }
  }
  for (const d of missing) {
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, owner.uid, owner.gid);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new CcrError('pitr_failed', `${dir} exists and is not a folder`);
  if (st.uid !== owner.uid) chownSync(dir, owner.uid, owner.gid);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return missing;
}

/**
 * Writes `text` to `file` for the owner (0600) through a temporary file and a rename, so a
 * crash leaves the old file or the new one. Returns false when the file already held `text`.
 */
export function writeOwnerFile(file: string, text: string, owner: Owner): boolean {
  let same = false;
  try {
    const st = statSync(file);
    same = readFileSync(file, 'utf8') === text && (st.mode & 0o777) === 0o600 && st.uid === owner.uid;
  } catch {
    // new file
  }
  if (same) return false;
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CcrError('pitr_failed', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
  return true;
}

/**
 * The first folder on the way to `path` the owner cannot enter (by its mode bits; supplementary
 * groups and ACLs are not read), or null. The server's archive-push walks this way as the owner.
 */
export function unreachableFolder(path: string, owner: Owner): string | null {
  const parts = path.split(sep).filter(Boolean);
  let d = '';
  for (const p of parts.slice(0, -1)) {
    d += `${sep}${p}`;
    let st;
    try {
      st = statSync(d);
    } catch {
      return null; // created later, for the owner
    }
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if (owner.uid !== 0 && (st.mode & bit) === 0) return d;
  }
  return null;
}
