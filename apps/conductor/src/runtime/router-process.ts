import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CcrError } from '../errors.js';
import { INSTALL_ROOT } from '../paths.js';
import { commandLine, isAlive, spawnDetached, terminate } from '../supervisor/process-control.js';
import { RouterAdminClient } from './router-client.js';

// The router runs as its own detached process (from the conductor's checkout, through tsx),
// so restarting the runtime never drops traffic, and a restarted runtime adopts it.

const ROUTER_BIN = join(INSTALL_ROOT, 'packages/router/src/bin/router.ts');

export interface RouterProcessInfo {
  pid: number;
  host: string;
  port: number;
  adminPort: number;
}

export interface StartRouterOptions {
  host: string;
  port: number;
  /** 0 picks a free port (read back from the router's "router listening" log line). */
  adminPort: number;
  stateFile: string;
  adminTokenFile: string;
  pinTokenFile: string;
  logFile: string;
}

export function isRouterProcess(pid: number): boolean {
  const cmd = commandLine(pid);
  return isAlive(pid) && (cmd === null || cmd.includes(ROUTER_BIN));
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

export async function startRouter(opts: StartRouterOptions): Promise<RouterProcessInfo> {
  const offset = existsSync(opts.logFile) ? statSync(opts.logFile).size : 0;
  const proc = spawnDetached(
    process.execPath,
    [
      '--import', 'tsx', ROUTER_BIN,
      '--host', opts.host,
      '--port', String(opts.port),
      '--admin-port', String(opts.adminPort),
      '--state-file', opts.stateFile,
      '--admin-token-file', opts.adminTokenFile,
      '--pin-token-file', opts.pinTokenFile,
      '--drain-timeout-ms', '10000',
    ],
    { cwd: INSTALL_ROOT, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/', NODE_ENV: 'production' }, logFile: opts.logFile },
  );
  proc.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ports = listeningLine(opts.logFile, offset);
    if (ports) return { pid: proc.pid, host: opts.host, ...ports };
    if (!isAlive(proc.pid)) throw new CcrError('router_failed', `the router exited during start-up: ${tail(opts.logFile, offset)}`);
    await sleep(100);
  }
  await terminate(proc.pid, 5000);
  throw new CcrError('router_failed', `the router did not start listening within 30 s: ${tail(opts.logFile, offset)}`);
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

function listeningLine(file: string, offset: number): { port: number; adminPort: number } | null {
  if (!existsSync(file)) return null;
  for (const line of readFrom(file, offset).split('\n')) {
    try {
      const rec = JSON.parse(line) as { msg?: string; port?: number; adminPort?: number };
      if (rec.msg === 'router listening' && rec.port && rec.adminPort) return { port: rec.port, adminPort: rec.adminPort };
    } catch {
      // partial or non-JSON line
    }
  }
  return null;
}

function tail(file: string, offset: number): string {
  return existsSync(file) ? readFrom(file, offset).trim().split('\n').slice(-5).join('\n') : '(no log)';
}
