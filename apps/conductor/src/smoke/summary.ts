import type { SmokeReport } from './types.js';

/** "10/10 checks passed in 1.2 s", or the first failure with its error and what was skipped. */
export function summarizeSmoke(r: SmokeReport): string {
  const passed = r.checks.filter((c) => c.ok).length;
  const head = `${passed}/${r.checks.length} checks passed in ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.ok) return head;
  const first = r.checks.find((c) => !c.ok && !c.skipped);
  const others = r.checks.filter((c) => !c.ok && c !== first);
  const skipped = others.filter((c) => c.skipped).map((c) => c.name);
  const alsoFailed = others.filter((c) => !c.skipped).map((c) => c.name);
  return [
    `smoke check ${first?.name ?? '?'} failed: ${first?.error ?? ''}`,
    head,
    ...(alsoFailed.length ? [`also failed: ${alsoFailed.join(', ')}`] : []),
    ...(skipped.length ? [`skipped: ${skipped.join(', ')}`] : []),
  ].join('; ');
}
