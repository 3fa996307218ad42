import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../errors.js';

// A release in flight outlives a restart of the router or of the runtime: their admin and
// control APIs are retried until a deadline instead of failing the step (and then its
// rollback) at the first refused connection. Only failures to reach the API are retried;
// an answer, even an error, is returned as it came.

export interface WaitPolicy {
  /** How long to keep trying once the API stopped answering (rollout.yaml adminWaitTimeout). */
  deadlineMs: number;
  /** Progress: one line when waiting starts, one when the API is back. */
  onWaiting?: (line: string) => void;
}

/** A CcrError thrown because the API could not be reached at all (no answer). */
export function unreachable(err: unknown): boolean {
  return err instanceof CcrError && err.details?.['unreachable'] === true;
}

/** The request never reached the server (nothing listened), so even a non-idempotent call may be repeated. */
export function refused(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    if ((e as { code?: string }).code === 'ECONNREFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export async function reaching<T>(what: string, policy: WaitPolicy | undefined, attempt: () => Promise<T>, retryable: (err: unknown) => boolean = unreachable): Promise<T> {
  let since: number | null = null;
  for (;;) {
    try {
      const result = await attempt();
      if (since !== null) policy?.onWaiting?.(`${what} is back after ${((Date.now() - since) / 1000).toFixed(1)} s`);
      return result;
    } catch (err) {
      if (!policy || !retryable(err)) throw err;
      since ??= Date.now();
      const waited = Date.now() - since;
      if (waited === 0) policy.onWaiting?.(`${what} unreachable, waiting (up to ${Math.round(policy.deadlineMs / 1000)} s)…`);
      if (waited >= policy.deadlineMs) {
        throw new CcrError((err as CcrError).code, `${(err as Error).message}; still unreachable after waiting ${Math.round(waited / 1000)} s`, { cause: err, details: { ...(err as CcrError).details, waitedMs: waited } });
      }
      await sleep(Math.min(250, policy.deadlineMs - waited));
    }
  }
}
