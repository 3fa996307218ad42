import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
  readonly child: ChildProcess;
  readonly runtime: HaproxyRuntime;
  /** Everything HAProxy printed (warnings and alerts), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Checks the config, then starts `haproxy -db -f cfg` and waits for its stats socket. */
export async function startHaproxy(cfgPath: string, statsSocket: string, timeoutMs = 10_000): Promise<HaproxyProcess> {
  await check(cfgPath);
  const child = spawn(HAPROXY_BIN, ['-db', '-f', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const runtime = new HaproxyRuntime(statsSocket);
  const proc: HaproxyProcess = {
    child,
    runtime,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new CcrError('router_failed', `haproxy exited with ${child.exitCode}: ${out.slice(-2000)}`);
    try {
      if ((await runtime.exec('show info')).includes('Pid:')) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new CcrError('router_failed', `haproxy did not open its stats socket ${statsSocket} within ${timeoutMs} ms: ${out.slice(-2000)}`);
    }
    await sleep(30);
  }
}

function check(cfgPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(HAPROXY_BIN, ['-c', '-q', '-f', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('error', (err) => reject(new CcrError('router_failed', `cannot run ${HAPROXY_BIN}: ${err.message}`, { cause: err })));
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new CcrError('router_failed', `haproxy rejected ${cfgPath}: ${out.slice(-2000)}`))));
  });
}
