/**
 * What one reconcile of a step says (the Argo Rollouts habit): done, wait (call me again
 * later) or fail — always with a human reason. Reconciles are idempotent: running one again
 * after a crash must be safe, so a step checks the world before it changes it.
 */
export type StepResult =
  | { status: 'done'; reason: string; data?: Record<string, unknown> }
  | { status: 'skipped'; reason: string }
  | { status: 'wait'; reason: string; retryAfterMs: number; data?: Record<string, unknown> }
  | { status: 'fail'; reason: string; data?: Record<string, unknown> };

export const done = (reason: string, data?: Record<string, unknown>): StepResult => ({ status: 'done', reason, ...(data ? { data } : {}) });
export const skipped = (reason: string): StepResult => ({ status: 'skipped', reason });
export const wait = (reason: string, retryAfterMs: number, data?: Record<string, unknown>): StepResult => ({ status: 'wait', reason, retryAfterMs, ...(data ? { data } : {}) });
export const fail = (reason: string, data?: Record<string, unknown>): StepResult => ({ status: 'fail', reason, ...(data ? { data } : {}) });
