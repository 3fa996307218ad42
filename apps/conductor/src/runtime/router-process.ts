import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONDUCTOR_ROOT } from '../conductor-root.js';
import { CcrError } from '../errors.js';
import { INSTALL_ROOT } from '../paths.js';
import { commandLine, isAlive, spawnDetached, terminate, type SpawnedProcess } from '../supervisor/process-control.js';
import { RouterAdminClient } from './router-client.js';
import type { HeldSocket } from './router-sockets.js';

// The router runs as its own detached process, so restarting the runtime never drops
// traffic, and a restarted runtime adopts it. It runs from an esbuild bundle of its bin
// (dist/router.mjs, rebuilt when its source changed): through tsx, compiling it again took
// ~1 s of a restart on a quiet machine and several on a busy one.

const ROUTER_SOURCE = 'packages/router/src/bin/router.ts';
const ROUTER_BIN = join(INSTALL_ROOT, ROUTER_SOURCE);

export interface RouterProcessInfo {
  pid: number;
  host: string;
  port: number;
  adminPort: number;
}

export interface RouterLaunch {
  host: string;
  stateFile: string;
  adminTokenFile: string;
  pinTokenFile: string;
  logFile: string;
}

interface BundleModule {
  esmBundle(entry: string, name: string): { file: string; isFresh(): boolean; build(): Promise<void> };
}

/** The command that runs the router: node on the bundle, or tsx on the source if it cannot be built. */
export async function routerCommand(): Promise<string[]> {
  try {
    const mod = (await import(pathToFileURL(join(CONDUCTOR_ROOT, 'bin/cli-bundle.mjs')).href)) as BundleModule;
    const bundle = mod.esmBundle(join('../..', ROUTER_SOURCE), 'router');
    if (!bundle.isFresh()) await bundle.build();
    return [bundle.file];
  } catch {
    return ['--import', 'tsx', ROUTER_BIN];
  }
}

export function isRouterProcess(pid: number): boolean {
  const cmd = commandLine(pid);
  return isAlive(pid) && (cmd === null || cmd.includes(ROUTER_BIN) || cmd.includes(join(CONDUCTOR_ROOT, 'dist/router.mjs')));
}

/** A router left by an earlier runtime that still answers its admin API with our token. */
export async function adoptRouter(info: RouterProcessInfo | null | undefined, token: string): Promise<RouterProcessInfo | null> {
  if (!info || !isRouterProcess(info.pid)) return null;
  try {
    await new RouterAdminClient(`http://127.0.0.1:${info.adminPort}`, token, 2000).getState();
    return info;
  } catch {
    await terminate(info.pid, 10_000);
    return null;
  }
}

/**
 * Starts the router on sockets the caller holds and resolves once it logged "router
 * listening". The process is not unref'd: the caller learns of its exit through `exited`.
 */
export async function spawnRouter(command: string[], o: RouterLaunch, sockets: { data: HeldSocket; admin: HeldSocket }): Promise<{ info: RouterProcessInfo; proc: SpawnedProcess }> {
  const offset = existsSync(o.logFile) ? statSync(o.logFile).size : 0;
  const proc = spawnDetached(
    process.execPath,
    [
      ...command,
      '--host', o.host,
      '--port', String(sockets.data.port),
      '--admin-port', String(sockets.admin.port),
      '--listen-fd', '3',
      '--admin-listen-fd', '4',
      '--state-file', o.stateFile,
      '--admin-token-file', o.adminTokenFile,
      '--pin-token-file', o.pinTokenFile,
      '--drain-timeout-ms', '10000',
    ],
    { cwd: INSTALL_ROOT, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/', NODE_ENV: 'production' }, logFile: o.logFile, inheritFds: [sockets.data.fd, sockets.admin.fd] },
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (listening(o.logFile, offset)) return { info: { pid: proc.pid, host: o.host, port: sockets.data.port, adminPort: sockets.admin.port }, proc };
    if (!isAlive(proc.pid)) throw new CcrError('router_failed', `the router exited during start-up: ${tail(o.logFile, offset)}`);
    await sleep(25);
  }
  await terminate(proc.pid, 5000);
  throw new CcrError('router_failed', `the router did not start listening within 30 s: ${tail(o.logFile, offset)}`);
}

function readFrom(file: string, offset: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function listening(file: string, offset: number): boolean {
  if (!existsSync(file)) return false;
  return readFrom(file, offset).split('\n').some((line) => {
    try {
      return (JSON.parse(line) as { msg?: string }).msg === 'router listening';
    } catch {
      return false; // partial or non-JSON line
    }
  });
}

function tail(file: string, offset: number): string {
  return existsSync(file) ? readFrom(file, offset).trim().split('\n').slice(-5).join('\n') : '(no log)';
}
