import { CcrError } from '../errors.js';
import { SMOKE_CHECKS, SMOKE_CHECK_NAMES, type SmokeCheck, type SmokeState } from './checks.js';
import { SmokeClient, SmokeFailure } from './client.js';
import type { SmokeCheckResult, SmokeOptions, SmokeReport } from './types.js';

/** The selected checks plus everything they need, in suite order. */
function select(names: string[] | undefined): SmokeCheck[] {
  if (!names) return [...SMOKE_CHECKS];
  const unknown = names.filter((n) => !SMOKE_CHECK_NAMES.includes(n));
  if (unknown.length) throw new CcrError('usage', `unknown smoke check(s) ${unknown.join(', ')}; known: ${SMOKE_CHECK_NAMES.join(', ')}`);
  const want = new Set<string>();
  const add = (n: string) => {
    if (want.has(n)) return;
    want.add(n);
    for (const d of SMOKE_CHECKS.find((c) => c.name === n)!.needs) add(d);
  };
  names.forEach(add);
  return SMOKE_CHECKS.filter((c) => want.has(c.name));
}

/**
 * Runs the built-in smoke checks against one version, pinned through the router, one after
 * the other (they share a synthetic user). Never throws for a failing check: the report says
 * which failed and why. Throws only for a bad option (an unknown check name).
 *
 * Example:
 *   const report = await runSmokeSuite({ baseUrl: 'http://127.0.0.1:8080',
 *     headers: { 'X-CC-Version': 'v2', 'X-CC-Pin-Token': pin }, expectVersion: 'v2',
 *     inviteCode: smokeInviteFromCli({ repoRoot }, databaseUrl) });
 */
export async function runSmokeSuite(opts: SmokeOptions): Promise<SmokeReport> {
  const checks = select(opts.checks);
  const client = new SmokeClient(opts.baseUrl, opts.headers, opts.timeoutMs ?? 10_000);
  const state: SmokeState = { client, expectVersion: opts.expectVersion, inviteCode: opts.inviteCode, plays: {} };
  const results: SmokeCheckResult[] = [];
  const failed = new Set<string>();
  const started = Date.now();
  for (const check of checks) {
    const blocked = check.needs.filter((n) => failed.has(n));
    if (blocked.length) {
      failed.add(check.name);
      results.push({ name: check.name, ok: false, skipped: true, durationMs: 0, error: `skipped: needs ${blocked.join(', ')}, which did not pass` });
      continue;
    }
    const t0 = performance.now();
    try {
      await check.run(state);
      results.push({ name: check.name, ok: true, durationMs: Math.round(performance.now() - t0) });
    } catch (err) {
      failed.add(check.name);
      const message = err instanceof SmokeFailure ? err.message : `unexpected error: ${(err as Error).message}`;
      results.push({ name: check.name, ok: false, durationMs: Math.round(performance.now() - t0), error: client.scrub(message) });
    }
  }
  return { ok: failed.size === 0, version: opts.expectVersion, durationMs: Date.now() - started, checks: results };
}
