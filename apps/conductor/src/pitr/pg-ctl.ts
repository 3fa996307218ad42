import { join } from 'node:path';
import { CcrError } from '../errors.js';
import { run, type RunAs, type RunResult } from './run.js';

// pg_ctl, as the owner of the data directory. -w waits for the server to accept connections (or
// to be gone); the log of a start goes to a file so a failed recovery can be explained from it.

export interface PgCtl {
  binDir: string;
  as: RunAs | null;
}

function explain(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-6).join(' / ') || `exit code ${r.code}`;
}

async function pgCtl(ctl: PgCtl, args: string[], what: string, timeoutS: number): Promise<RunResult> {
  const r = await run(join(ctl.binDir, 'pg_ctl'), [...args, '-w', '-t', String(timeoutS)], { as: ctl.as, timeoutMs: (timeoutS + 30) * 1000 });
  if (r.code !== 0) throw new CcrError('pitr_failed', `${what}: pg_ctl ${args[0]} failed: ${explain(r)}`, { details: { exitCode: r.code } });
  return r;
}

export function pgCtlStart(ctl: PgCtl, dataDir: string, logFile: string, timeoutS: number): Promise<RunResult> {
  return pgCtl(ctl, ['start', '-D', dataDir, '-l', logFile], `starting the cluster in ${dataDir}`, timeoutS);
}

export function pgCtlStop(ctl: PgCtl, dataDir: string, mode: 'fast' | 'immediate' = 'fast', timeoutS = 120): Promise<RunResult> {
  return pgCtl(ctl, ['stop', '-D', dataDir, '-m', mode], `stopping the cluster in ${dataDir}`, timeoutS);
}

/**
 * Restarts with the options the server was started with (postmaster.opts). Its output goes to
 * `logFile`: pg_ctl would otherwise hand the new server our pipe, which then never closes.
 */
export function pgCtlRestart(ctl: PgCtl, dataDir: string, logFile: string, timeoutS = 300): Promise<RunResult> {
  return pgCtl(ctl, ['restart', '-D', dataDir, '-m', 'fast', '-l', logFile], `restarting the server in ${dataDir}`, timeoutS);
}
