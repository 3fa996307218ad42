import { knownSecrets, lastLines, run, succeeded } from '../command/index.js';
import type { PlanStep } from '../config/index.js';
import { errorMessage } from '../errors.js';
import type { RolloutContext } from './context.js';
import { done, fail, type StepResult } from './step-result.js';

type HookStep = Extract<PlanStep, { kind: 'hook' }>;

/** Environment a hook sees: what it needs to know about the release, never a secret. */
function hookEnv(ctx: RolloutContext): Record<string, string> {
  return {
    CCR_RELEASE_ID: ctx.release.id,
    CCR_ENV: ctx.envName,
    CCR_VERSION: ctx.release.version ?? '',
    CCR_PREVIOUS_VERSION: ctx.release.previousVersion ?? '',
    CCR_REF: ctx.release.ref,
  };
}

async function runShell(ctx: RolloutContext, step: HookStep): Promise<StepResult> {
  let r;
  try {
    // redact: the script may hold expanded ${VAR} values, and print them
    r = await run({ argv: ['sh', '-c', step.run!], env: hookEnv(ctx), timeoutMs: step.timeout, redact: knownSecrets() }, { signal: ctx.signal });
  } catch (err) {
    return fail(`hook could not start: ${errorMessage(err)}`);
  }
  const ms = r.durationMs;
  const tail = lastLines(r.output);
  if (succeeded(r)) return done(`hook exited 0 in ${ms} ms`, { durationMs: ms, output: tail });
  if (r.timedOut) return fail(`hook timed out after ${step.timeout} ms${tail ? `: ${tail}` : ''}`, { durationMs: ms, output: tail });
  if (r.aborted) return fail(`hook was stopped: the run was aborted${tail ? `: ${tail}` : ''}`, { durationMs: ms, output: tail });
  return fail(`hook ${r.exitCode !== null ? `exited ${r.exitCode}` : `was killed by ${r.signal}`}${tail ? `: ${tail}` : ''}`, { durationMs: ms, output: tail });
}

async function runWebhook(ctx: RolloutContext, step: HookStep): Promise<StepResult> {
  const hook = step.webhook!;
  const started = Date.now();
  try {
    const res = await fetch(hook.url, {
      method: hook.method,
      headers: { 'content-type': 'application/json', ...hook.headers },
      ...(hook.method === 'GET' ? {} : { body: JSON.stringify({ step: step.id, ...hookEnv(ctx) }) }),
      signal: AbortSignal.timeout(step.timeout),
    });
    const ms = Date.now() - started;
    if (res.ok) return done(`webhook answered ${res.status} in ${ms} ms`, { durationMs: ms, status: res.status });
    return fail(`webhook answered ${res.status} ${res.statusText}`, { durationMs: ms, status: res.status });
  } catch (err) {
    return fail(`webhook failed: ${(err as Error).message}`);
  }
}

export function runHook(ctx: RolloutContext, step: HookStep): Promise<StepResult> {
  return step.run ? runShell(ctx, step) : runWebhook(ctx, step);
}
