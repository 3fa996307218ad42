import type { Command } from 'commander';
import { ccPaths } from '../../paths.js';
import { SupervisorClient } from '../../runtime/control-client.js';
import { notRunningMessage } from '../../runtime/not-running.js';
import { readActiveVersion, readRuntime } from '../../runtime/runtime-state.js';
import { readRouterStateFile } from '../../runtime/route-keeper.js';
import { RouterAdminClient } from '../../runtime/router-client.js';
import { readSecret } from '../../runtime/secrets.js';
import { buildStatus, type RuntimeStatus } from '../../runtime/status.js';
import type { CcPaths } from '../../paths.js';
import { errorMessage } from '../../errors.js';
import { isAlive } from '../../command/index.js';
import { emit, fail, type GlobalOptions } from '../output.js';
import { humanReleaseSection, releaseSection } from '../release-status.js';

function human(s: RuntimeStatus): string {
  if (!s.running) return notRunningMessage(s.environment, s.activeVersion);
  const lines = [
    `environment ${s.environment}: ${s.phase} (pid ${s.pid}, since ${s.startedAt})`,
    ...(s.problem ? [`  PROBLEM: ${s.problem}`] : []),
    `  app ${s.urls?.app ?? '?'}   database ${s.database?.url ?? '?'} (${s.database?.mode ?? '?'})`,
    `  active release ${s.activeVersion ?? 'none'}`,
  ];
  if (s.router) {
    if (!s.router.up) {
      const from = s.router.source === 'state-file' ? `the weights below are its persisted state file's (v${s.router.stateVersion})` : 'no persisted state file either';
      lines.push(`  ROUTER DOWN (pid ${s.router.pid}, ${s.router.restarts} restart(s)): ${s.router.problem ?? 'no answer'}; ${from}`);
    } else if (s.router.restarts) lines.push(`  router restarted ${s.router.restarts} time(s), last exit ${s.router.lastExit?.signal ?? `code ${s.router.lastExit?.code ?? '?'}`} at ${s.router.lastExit?.at ?? '?'}`);
    lines.push(`  router pid ${s.router.pid}, state v${s.router.stateVersion}, maintenance ${s.router.maintenance.enabled ? `ON (${s.router.maintenance.message ?? ''})` : 'off'}`);
    for (const [name, svc] of Object.entries(s.router.services)) {
      lines.push(`    ${name.padEnd(4)} ${Object.entries(svc.weights).map(([v, w]) => `${v} ${w}%`).join(', ') || 'no targets'}`);
    }
  }
  for (const v of s.versions) {
    lines.push(`  ${v.version}:`);
    for (const i of v.instances) lines.push(`    ${i.id.padEnd(28)} ${i.url}  pid ${i.pid ?? '-'}  ${i.state}${i.healthy ? ' healthy' : ' UNHEALTHY'}  restarts ${i.restarts}`);
  }
  return lines.join('\n');
}

/**
 * A runtime whose control API does not answer: what its files and the router itself still
 * tell (runtime.json, the router's admin API or its state file), instead of failing.
 */
async function fromFiles(paths: CcPaths, rt: NonNullable<ReturnType<typeof readRuntime>>, why: string): Promise<RuntimeStatus> {
  const token = readSecret(paths.secrets, 'router-admin-token') ?? '';
  const router = rt.router ? { client: new RouterAdminClient(`http://127.0.0.1:${rt.router.adminPort}`, token, 3000), health: { up: false, restarts: 0, lastExit: null, problem: null }, persisted: () => readRouterStateFile(paths) } : null;
  const status = await buildStatus(rt, [], router);
  return { ...status, problem: `the runtime (pid ${rt.pid}) does not answer its control API (${why}); instances unknown. \`npx ccr down && npx ccr up --detach\` restarts it` };
}

export function register(program: Command): void {
  program
    .command('status')
    .description('show the local environment: instances by version with health, router weights per service, maintenance')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr status --json')
    .action(async (cmdOpts: GlobalOptions, cmd: Command) => {
      const opts: GlobalOptions = { ...cmd.optsWithGlobals<GlobalOptions>(), ...cmdOpts };
      try {
        const paths = ccPaths();
        const rt = readRuntime(paths);
        let status: RuntimeStatus;
        if (rt && rt.phase === 'ready' && isAlive(rt.pid)) {
          status = await SupervisorClient.connect(paths).status().catch((err: unknown) => fromFiles(paths, rt, errorMessage(err)));
        } else {
          status = {
            environment: 'local',
            running: false,
            phase: rt && isAlive(rt.pid) ? rt.phase : 'stopped',
            pid: rt && isAlive(rt.pid) ? rt.pid : null,
            startedAt: null,
            database: null,
            activeVersion: readActiveVersion(paths),
            urls: null,
            router: null,
            versions: [],
          };
        }
        const releases = await releaseSection();
        emit(opts, { ...status, releases }, () => `${human(status)}\n${humanReleaseSection(releases)}`);
      } catch (err) {
        fail(opts, err);
      }
    });
}
