import type { Command } from 'commander';
import { ccPaths } from '../../paths.js';
import { SupervisorClient } from '../../runtime/control-client.js';
import { notRunningMessage } from '../../runtime/not-running.js';
import { readActiveVersion, readRuntime } from '../../runtime/runtime-state.js';
import type { RuntimeStatus } from '../../runtime/status.js';
import { isAlive } from '../../command/index.js';
import { emit, fail, type GlobalOptions } from '../output.js';
import { humanReleaseSection, releaseSection } from '../release-status.js';

function human(s: RuntimeStatus): string {
  if (!s.running) return notRunningMessage(s.environment, s.activeVersion);
  const lines = [
    `environment ${s.environment}: ${s.phase} (pid ${s.pid}, since ${s.startedAt})`,
    `  app ${s.urls?.app ?? '?'}   database ${s.database?.url ?? '?'} (${s.database?.mode ?? '?'})`,
    `  active release ${s.activeVersion ?? 'none'}`,
  ];
  if (s.router) {
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
          status = await SupervisorClient.connect(paths).status();
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
