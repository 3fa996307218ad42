import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../errors.js';
import { isAlive } from '../command/index.js';

/**
 * One build per version at a time, across processes: an O_EXCL lock file holding the pid.
 * A lock left by a killed build (its pid is gone) is taken over.
 */
export async function withBuildLock<T>(file: string, onWait: (pid: number) => void, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CcrError('build_failed', `cannot create build lock ${file}`, { cause: err });
      const pid = Number(readFileSafe(file));
      if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
        rmSync(file, { force: true });
        continue;
      }
      if (!announced) onWait(pid);
      announced = true;
      if (Date.now() > deadline) throw new CcrError('build_failed', `another build (pid ${pid}) holds ${file}`);
      await sleep(300);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
