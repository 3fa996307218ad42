import { open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// A backup is recorded only once its bytes are on disk: the record is what a rollback or a
// restore trusts, and a power cut right after a migration must not leave a record pointing at
// a dump that only ever lived in the page cache. pg_dump -f syncs its output the same way.

export async function syncPath(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Makes `partial` durable under the name `file`, then the directory entry that names it. */
export async function publishDurably(partial: string, file: string): Promise<void> {
  await syncPath(partial);
  await rename(partial, file);
  await syncPath(dirname(file));
}

/** Writes a small file through a temporary name, so a reader sees all of it or nothing. */
export async function writeDurably(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await publishDurably(tmp, file);
}
