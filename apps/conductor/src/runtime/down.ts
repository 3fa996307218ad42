import { join } from 'node:path';
import type { CcPaths } from '../paths.js';
import { commandLine, isAlive, terminate, waitForExit } from '../supervisor/process-control.js';
import { loadSupervisorState, saveSupervisorState } from '../supervisor/state-file.js';
import { SupervisorClient } from './control-client.js';
import { stopLeftoverPostgres } from './embedded-postgres.js';
import { isRouterProcess } from './router-process.js';
import { clearRuntime, readRuntime, supervisorStateFile } from './runtime-state.js';

// `ccr down`: ask the running runtime to stop everything in order; then, whatever happened
// to it, reap every process recorded under .cc/runtime/ that is still alive.

export interface DownResult {
  runtime: 'stopped' | 'killed' | 'not-running';
  /** Processes found alive after the runtime was gone, and stopped. */
  reaped: Array<{ kind: 'instance' | 'router' | 'controller' | 'postgres'; id: string; pid: number }>;
}

export async function stopRuntime(paths: CcPaths, onProgress: (line: string) => void = () => undefined): Promise<DownResult> {
  const rt = readRuntime(paths);
  let runtime: DownResult['runtime'] = 'not-running';
  if (rt && isAlive(rt.pid) && (commandLine(rt.pid) ?? 'ccr').includes('ccr')) {
    onProgress(`stopping the runtime (pid ${rt.pid})`);
    try {
      await SupervisorClient.connect(paths).shutdown();
      runtime = (await waitForExit(rt.pid, 120_000)) ? 'stopped' : 'killed';
    } catch {
      runtime = 'killed';
    }
    if (runtime === 'killed') await terminate(rt.pid, 30_000);
  }

  const reaped: DownResult['reaped'] = [];
  const ctl = rt?.controller;
  if (ctl && isAlive(ctl.pid) && (commandLine(ctl.pid) ?? '').includes(' server')) {
    onProgress(`stopping leftover controller (pid ${ctl.pid})`);
    await terminate(ctl.pid, 15_000);
    reaped.push({ kind: 'controller', id: 'controller', pid: ctl.pid });
  }
  const saved = loadSupervisorState(supervisorStateFile(paths));
  for (const i of saved.instances) {
    if (i.pid !== null && isAlive(i.pid) && (commandLine(i.pid) ?? paths.artifacts).includes(paths.artifacts)) {
      onProgress(`stopping leftover instance ${i.id} (pid ${i.pid})`);
      await terminate(i.pid, 15_000);
      reaped.push({ kind: 'instance', id: i.id, pid: i.pid });
    }
  }
  saveSupervisorState(supervisorStateFile(paths), { seq: saved.seq, instances: [] });
  if (rt?.router && isRouterProcess(rt.router.pid)) {
    onProgress(`stopping leftover router (pid ${rt.router.pid})`);
    await terminate(rt.router.pid, 15_000);
    reaped.push({ kind: 'router', id: 'router', pid: rt.router.pid });
  }
  if (!rt || rt.database.mode === 'embedded') {
    const pid = await stopLeftoverPostgres(paths.pg);
    if (pid !== null) reaped.push({ kind: 'postgres', id: join(paths.pg, 'data'), pid });
  }
  clearRuntime(paths);
  return { runtime, reaped };
}
