import type { ProgressEvent } from '../engine/context.js';
import type { GlobalOptions } from './output.js';

// Live progress of a release on stderr: phase and step, traffic weights and analysis verdicts
// with their numbers. With --json, CCR_PROGRESS=1 streams the same events as JSON lines.

const pctOf = (w: Record<string, number>) => Object.entries(w).map(([v, p]) => `${v} ${p}%`).join(' · ') || 'none';

export function renderProgress(e: ProgressEvent): string {
  const time = new Date().toISOString().slice(11, 19);
  switch (e.type) {
    case 'step':
      return `${time} [${e.index + 1}/${e.total} ${e.phase}] ${e.step}: ${e.status}${e.reason ? ` — ${e.reason}` : ''}`;
    case 'weights':
      return `${time}   traffic ${e.service}: ${pctOf(e.weights)}`;
    case 'verdict':
      return `${time}   verdict ${e.analysis}/${e.metric}: ${e.verdict.toUpperCase()} — ${e.reason}`;
    case 'log':
      return `${time}   ${e.level === 'info' ? '' : `${e.level}: `}${e.message}`;
  }
}

export function progressSink(opts: GlobalOptions): (e: ProgressEvent) => void {
  return (e) => {
    if (opts.json) {
      if (process.env['CCR_PROGRESS'] === '1') process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`);
      return;
    }
    process.stderr.write(`${renderProgress(e)}\n`);
  };
}
