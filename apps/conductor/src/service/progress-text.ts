import type { ProgressEvent } from '../engine/context.js';

/** One progress event as a line of text (the CLI adds the time; the controller the env). */
export function progressText(e: ProgressEvent): string {
  switch (e.type) {
    case 'step': return `[${e.index + 1}/${e.total} ${e.phase}] ${e.step}: ${e.status}${e.reason ? ` — ${e.reason}` : ''}`;
    case 'weights': return `  traffic ${e.service}: ${Object.entries(e.weights).map(([v, p]) => `${v} ${p}%`).join(' · ') || 'none'}`;
    case 'verdict': return `  verdict ${e.analysis}/${e.metric}: ${e.verdict.toUpperCase()} — ${e.reason}`;
    case 'log': return `  ${e.level === 'info' ? '' : `${e.level}: `}${e.message}`;
  }
}
