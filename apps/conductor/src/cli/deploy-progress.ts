import type { ProgressEvent } from '../engine/context.js';
import { progressText } from '../service/progress-text.js';
import type { GlobalOptions } from './output.js';

// Live progress of a release on stderr: phase and step, traffic weights and analysis verdicts
// with their numbers. With --json, CCR_PROGRESS=1 streams the same events as JSON lines.

export function renderProgress(e: ProgressEvent): string {
  return `${new Date().toISOString().slice(11, 19)} ${progressText(e)}`;
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
