import { registerStep } from '../engine/registry.js';
import { done } from '../engine/step-result.js';
import { refreshMetricsFile } from '../metrics/textfile.js';
import { writeReports } from '../report/write.js';

// Plan step `report` (seed III.5): writes the release record, .cc/reports/<release>.md and
// .html, as it stands at this point of the plan. The run writes it again when it ends
// (cli/run-release.ts), so the final outcome is in it too; `ccr report <release>` renders it
// any time.
registerStep('report', {
  async reconcile(ctx) {
    const { home } = ctx.services.paths;
    const files = await writeReports(ctx.store, home, ctx.release.id);
    await refreshMetricsFile(ctx.store, home, (m) => ctx.progress({ type: 'log', level: 'warn', message: m }));
    return done(`release record written: ${files.join(', ')}`, { report: files });
  },
});
