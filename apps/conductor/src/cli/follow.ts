import { followRelease } from '../service/follow.js';
import type { OpenEnv } from '../service/open-env.js';
import { progressSink } from './deploy-progress.js';
import { progress, type GlobalOptions } from './output.js';

// Following a release the controller drives (ccr deploy, ccr watch): Ctrl-C detaches and says
// how to follow it again; it never aborts the release.

export async function followToEnd(o: OpenEnv, releaseId: string, opts: GlobalOptions): Promise<{ exitCode: number; state: string; reason: string }> {
  const detach = new AbortController();
  const onSignal = () => detach.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const end = await followRelease(o, releaseId, progressSink(opts), detach.signal);
    if (end.detached) progress(opts, `detached from ${releaseId}; it goes on. Follow it again: ccr watch ${releaseId}${opts.env ? ` --env ${opts.env}` : ''}`);
    return end;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
