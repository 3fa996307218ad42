// Temp folders for tests. Each is removed when the test file's process exits, whether its
// tests passed or failed, after every after() hook has run (so a runtime a test started there
// is already stopped). A test that needs its folder gone sooner removes it itself; removing
// twice is harmless. scripts/test.mjs fails the run if anything is still left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A folder we cannot remove is reported by the runner's leftover check.
    }
  }
  made.clear();
}

/** A fresh folder `<system temp>/<prefix>XXXXXX`, removed when this process exits. */
export function tempDir(prefix: string): string {
  if (made.size === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
