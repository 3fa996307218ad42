import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, runChecked, type LaunchedProcess } from '../../command/index.js';
import { CcrError } from '../../errors.js';
import { ACL_FILES, aclPath, MAP_FILES, mapPath } from './layout.js';
import { renderHaproxyConfig, type HaproxyConfigOptions } from './render-config.js';
import { HaproxyRuntime } from './runtime-api.js';

// Writes a config with its (empty) runtime files, and runs HAProxy in the foreground (-db)
// for local environments and tests. On real hosts HAProxy runs under systemd with the same
// files (deploy/haproxy/).

export const HAPROXY_BIN = process.env['HAPROXY_BIN'] ?? '/usr/sbin/haproxy';

/** Writes haproxy.cfg, the maps, the allow-list and the pin-token file into dir. */
export function writeHaproxyFiles(dir: string, o: Omit<HaproxyConfigOptions, 'mapDir'> & { pinToken: string }): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of Object.keys(MAP_FILES) as Array<keyof typeof MAP_FILES>) writeFileSync(mapPath(dir, name), '');
  for (const name of Object.keys(ACL_FILES) as Array<keyof typeof ACL_FILES>) writeFileSync(aclPath(dir, name), '');
  // Dynamic servers do not inherit default-server, so every `add server` is given these.
  const settings = { inter: o.health.intervalMs, timeout: o.health.timeoutMs, rise: o.health.rise, fall: o.health.fall };
  writeFileSync(mapPath(dir, 'settings'), Object.entries(settings).map(([k, v]) => `${k} ${v}\n`).join(''));
  writeFileSync(aclPath(dir, 'pinToken'), `${o.pinToken}\n`, { mode: 0o600 });
  chmodSync(aclPath(dir, 'pinToken'), 0o600);
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, renderHaproxyConfig({ ...o, mapDir: dir }), { mode: 0o600 });
  return cfg;
}

export interface HaproxyProcess {
  readonly process: LaunchedProcess;
  readonly runtime: HaproxyRuntime;
  /** Everything HAProxy printed (warnings and alerts), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Checks the config, then starts `haproxy -db -f cfg` and waits for its stats socket. */
export async function startHaproxy(cfgPath: string, statsSocket: string, timeoutMs = 10_000): Promise<HaproxyProcess> {
  await check(cfgPath);
  const child = launch({ argv: [HAPROXY_BIN, '-db', '-f', cfgPath] }, { output: 'capture' });
  const runtime = new HaproxyRuntime(statsSocket);
  const proc: HaproxyProcess = { process: child, runtime, output: () => child.output(), stop: () => child.stop(3_000) };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = child.exitStatus();
    if (exited) throw new CcrError('router_failed', `haproxy exited with ${exited.code ?? exited.signal}: ${child.output().slice(-2000)}`);
    try {
      if ((await runtime.exec('show info')).includes('Pid:')) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new CcrError('router_failed', `haproxy did not open its stats socket ${statsSocket} within ${timeoutMs} ms: ${child.output().slice(-2000)}`);
    }
    await sleep(30);
  }
}

async function check(cfgPath: string): Promise<void> {
  await runChecked({ argv: [HAPROXY_BIN, '-c', '-q', '-f', cfgPath] }, { code: 'router_failed', explain: (r) => `haproxy rejected ${cfgPath}: ${r.output.slice(-2000)}` });
}
