import type { PitrLayout } from './layout.js';

// pgBackRest's configuration file and the server's archive_command, as text computed from the
// layout, so setup can compare them with what is there and report exactly what it changed.

export interface ServerConnection {
  port: number;
  socketPath: string;
}

export function renderConf(layout: PitrLayout, server: ServerConnection): string {
  const c = layout.config;
  const user = c.pgUser ? [`pg1-user=${c.pgUser}`] : [];
  return [
    '# Written by `ccr pitr setup` from rollout.yaml (environments.' + layout.envName + '.pitr); edits are overwritten.',
    '[global]',
    `repo1-path=${layout.repoPath}`,
    `repo1-retention-full=${c.retentionFull}`,
    `log-path=${layout.logPath}`,
    `lock-path=${layout.lockPath}`,
    `process-max=${c.processMax}`,
    `compress-type=${c.compressType}`,
    // an immediate checkpoint: a backup starts now, not at the next scheduled checkpoint
    'start-fast=y',
    '',
    `[${layout.stanza}]`,
    `pg1-path=${layout.pgData}`,
    `pg1-port=${server.port}`,
    `pg1-socket-path=${c.pgSocketPath ?? server.socketPath}`,
    ...user,
    '',
  ].join('\n');
}

/** The server runs it through a shell; the schema keeps quotes, spaces and $ out of the paths. */
export function archiveCommand(layout: Pick<PitrLayout, 'configFile' | 'stanza'>): string {
  return `pgbackrest --config=${layout.configFile} --stanza=${layout.stanza} archive-push %p`;
}

/** Whether an archive_command already pushes to this stanza through this configuration. */
export function isOurArchiveCommand(layout: Pick<PitrLayout, 'configFile' | 'stanza'>, command: string): boolean {
  return command.trim() === archiveCommand(layout);
}
