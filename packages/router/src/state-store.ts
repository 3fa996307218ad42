// The applied state on disk, so a restarted router routes the same way. Written to a temp
// file in the same directory, fsynced, then renamed over the old file: a crash leaves
// either the old document or the new one, never half of one.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { RouterStateDocument } from '@cc/contracts';
import { routerStateSchema } from '@cc/contracts';
import { RouterError } from './errors.js';

export class StateStore {
  constructor(private readonly file: string) {}

  /** The persisted document, or undefined when the file does not exist yet. */
  async load(): Promise<RouterStateDocument | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RouterError('state_read_failed', `cannot read ${this.file}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new RouterError('state_read_failed', `${this.file} is not JSON`, { cause: err });
    }
    const version = (doc as { version?: unknown }).version;
    const parsed = routerStateSchema.safeParse((doc as { state?: unknown }).state);
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || !parsed.success) {
      throw new RouterError('state_read_failed', `${this.file} does not hold a valid router state`, {
        cause: parsed.success ? undefined : parsed.error,
      });
    }
    return { version, state: parsed.data };
  }

  async save(doc: RouterStateDocument): Promise<void> {
    const dir = dirname(this.file);
    const tmp = join(dir, `.${basename(this.file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
      // The rename itself is durable only once the folder is synced: without it a power
      // loss could bring back the previous state after the new one was applied.
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new RouterError('state_write_failed', `cannot write ${this.file}`, { cause: err });
    }
  }
}
