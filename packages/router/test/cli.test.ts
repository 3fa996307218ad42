// The CLI as a supervisor runs it: ports from the "router listening" line, state file
// written, routing works, SIGTERM exits cleanly; no token means no start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from './support/http-client.js';
import { startUpstream } from './support/upstream.js';

const bin = fileURLToPath(new URL('../src/bin/router.ts', import.meta.url));

test('the CLI starts on free ports, routes, and stops cleanly on SIGTERM', async (t) => {
  const up = await startUpstream({ id: 'w1', version: 'v1' });
  const dir = mkdtempSync(join(tmpdir(), 'cc-router-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'initial.json'), JSON.stringify({ services: { api: { targets: [] }, web: { targets: [{ id: 'w1', version: 'v1', url: up.url, weight: 1 }] } } }));
  const proc = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--state-file', join(dir, 'state.json'), '--initial-state', join(dir, 'initial.json'), '--no-health-check'], {
    env: { ...process.env, CC_ROUTER_ADMIN_TOKEN: 'cli-admin-token-123' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const listening = await new Promise<{ port: number; adminPort: number }>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`router exited with ${code}`)));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const msg = JSON.parse(line) as { msg?: string; port: number; adminPort: number };
        if (msg.msg === 'router listening') resolve(msg);
      });
    });
    assert.ok(existsSync(join(dir, 'state.json')), 'the initial state is persisted at start');
    const r = await request(`http://127.0.0.1:${listening.port}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-cc-served-by'], 'v1');
    const unauth = await request(`http://127.0.0.1:${listening.adminPort}/admin/state`);
    assert.equal(unauth.status, 401);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    proc.kill('SIGKILL');
    await up.kill();
  }
});

test('the CLI refuses to start without an admin token', async (t) => {
  const env = { ...process.env };
  delete env.CC_ROUTER_ADMIN_TOKEN;
  const dir = mkdtempSync(join(tmpdir(), 'cc-router-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proc = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--admin-port', '0', '--state-file', join(dir, 's.json')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(stderr, /admin token is required/);
});
