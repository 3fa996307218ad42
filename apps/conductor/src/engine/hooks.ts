import { spawn } from 'node:child_process';
import type { PlanStep } from '../config/index.js';
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

function runShell(ctx: RolloutContext, step: HookStep): Promise<StepResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sh', ['-c', step.run!], { env: { ...process.env, ...hookEnv(ctx) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const keep = (b: Buffer) => { out = (out + b.toString()).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, step.timeout);
    child.on('error', (err) => { clearTimeout(timer); resolve(fail(`hook could not start: ${err.message}`)); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      const tail = out.trim().split('\n').slice(-5).join(' | ');
      if (code === 0) resolve(done(`hook exited 0 in ${ms} ms`, { durationMs: ms, output: tail }));
      else if (signal) resolve(fail(`hook timed out after ${step.timeout} ms${tail ? `: ${tail}` : ''}`, { durationMs: ms, output: tail }));
      else resolve(fail(`hook exited ${code}${tail ? `: ${tail}` : ''}`, { durationMs: ms, output: tail }));
    });
  });
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
