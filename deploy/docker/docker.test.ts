import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { tempDir } from '../../scripts/lib/temp-dir.js';

// Fast checks of the image definitions (the real build and push is `npm run test:images`):
// each Dockerfile's structure (multi-stage, base image as a build argument, non-root user,
// HEALTHCHECK on /health/ready, OCI labels, no secrets), and the two scripts the images
// run, as real processes: the web server's cache headers and the artifact hash check.

const here = new URL('.', import.meta.url).pathname;
const tmp = tempDir('cc-docker-');
const children: ChildProcess[] = [];
after(() => { for (const c of children) c.kill('SIGKILL'); rmSync(tmp, { recursive: true, force: true }); });

interface Instruction { op: string; args: string }

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(join(here, file), 'utf8').replace(/\\\n/g, ' ');
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });
}

export function checkDockerfile(ins: Instruction[]): string[] {
  const problems: string[] = [];
  const froms = ins.map((i, n) => ({ ...i, n })).filter((i) => i.op === 'FROM');
  if (froms.length < 2) problems.push('not multi-stage');
  if (ins[0]?.op !== 'ARG' || !/^BASE_IMAGE=/.test(ins[0].args)) problems.push('first instruction must be ARG BASE_IMAGE=...');
  for (const f of froms) if (!f.args.startsWith('${BASE_IMAGE}')) problems.push(`FROM ${f.args}: base must be the BASE_IMAGE argument`);
  const final = ins.slice(froms.at(-1)?.n ?? 0);
  const user = final.filter((i) => i.op === 'USER').at(-1);
  if (!user || /^(0|root)(:|$)/.test(user.args)) problems.push('final stage must run as a non-root USER');
  const hc = final.find((i) => i.op === 'HEALTHCHECK');
  if (!hc || !hc.args.includes('/health/ready')) problems.push('final stage needs a HEALTHCHECK on /health/ready');
  const labels = final.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' ');
  for (const l of ['version', 'revision', 'source']) if (!labels.includes(`org.opencontainers.image.${l}=`)) problems.push(`missing OCI label org.opencontainers.image.${l}`);
  for (const i of ins) {
    if ((i.op === 'ENV' || i.op === 'ARG') && /(SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|API_KEY)[A-Z_]*=/.test(i.args)) problems.push(`${i.op} ${i.args.slice(0, 40)}: secrets never go into an image`);
    if (i.op === 'RUN' && /npm (install|ci)(?![^&]*--omit=dev)/.test(i.args)) problems.push('npm install without --omit=dev');
    if (i.op === 'ADD' && /^https?:/.test(i.args)) problems.push('ADD from a URL');
  }
  // The runtime stage copies only from the verified stage, never the raw context.
  for (const i of final) if (i.op === 'COPY' && !i.args.startsWith('--from=verify')) problems.push(`COPY ${i.args}: the runtime stage copies only verified files`);
  return problems;
}

describe('deploy/docker', () => {
  for (const file of ['api.Dockerfile', 'web.Dockerfile']) {
    test(`${file} passes the structural checks`, () => {
      assert.deepEqual(checkDockerfile(instructions(file)), []);
    });
  }

  test('the checks catch a broken Dockerfile', () => {
    const ins = instructions('api.Dockerfile');
    const edit = (f: (l: Instruction[]) => Instruction[]) => checkDockerfile(f(structuredClone(ins)));
    assert.deepEqual(edit((l) => l.map((i) => (i.op === 'USER' ? { op: 'USER', args: 'root' } : i))), ['final stage must run as a non-root USER']);
    assert.deepEqual(edit((l) => l.filter((i) => i.op !== 'HEALTHCHECK')), ['final stage needs a HEALTHCHECK on /health/ready']);
    assert.deepEqual(edit((l) => [...l, { op: 'ENV', args: 'JWT_SECRET=abc' }]), ['ENV JWT_SECRET=abc: secrets never go into an image']);
    assert.deepEqual(edit((l) => [...l, { op: 'COPY', args: '. /app' }]), ['COPY . /app: the runtime stage copies only verified files']);
    assert.deepEqual(edit((l) => l.map((i) => (i.op === 'FROM' ? { op: 'FROM', args: 'node:20 AS x' } : i))), ['FROM node:20 AS x: base must be the BASE_IMAGE argument', 'FROM node:20 AS x: base must be the BASE_IMAGE argument']);
  });

  test('web-server.mjs: assets immutable, index.html no-cache with an ETag, SPA fallback, health and drain', async () => {
    const root = join(tmp, 'web');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><script src="/assets/app-1a2b.js"></script>');
    writeFileSync(join(root, 'assets/app-1a2b.js'), 'console.log(1)');
    const child = spawn(process.execPath, [join(here, 'web-server.mjs')], { env: { ...process.env, WEB_ROOT: root, PORT: '0', HOST: '127.0.0.1', APP_VERSION: 'v9', SHUTDOWN_DRAIN_DELAY_MS: '60000' }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /"port":(\d+)/.exec(out); if (m) resolve(Number(m[1])); });
      child.on('exit', (code) => reject(new Error(`web-server exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const index = await fetch(`${base}/`);
    assert.deepEqual([index.status, index.headers.get('cache-control'), index.headers.get('x-frame-options')], [200, 'no-cache', 'DENY']);
    const etag = index.headers.get('etag')!;
    assert.equal((await fetch(`${base}/`, { headers: { 'if-none-match': etag } })).status, 304);
    const asset = await fetch(`${base}/assets/app-1a2b.js`);
    assert.deepEqual([asset.status, asset.headers.get('cache-control'), asset.headers.get('content-type')], [200, 'public, max-age=31536000, immutable', 'text/javascript; charset=utf-8']);
    assert.equal(await asset.text(), 'console.log(1)');
    const spa = await fetch(`${base}/games/slots`);
    assert.deepEqual([spa.status, spa.headers.get('cache-control')], [200, 'no-cache']);
    assert.equal((await fetch(`${base}/assets/app-old.js`)).status, 404);
    assert.equal((await fetch(`${base}/api/me`)).status, 404);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
    assert.deepEqual(await (await fetch(`${base}/version`)).json(), { version: 'v9', commit: 'unknown', builtAt: 'unknown' });
    child.kill('SIGTERM');
    // Draining: not ready any more, still serving, so the load balancer moves away first.
    const drained = await (async () => { for (let i = 0; i < 50; i++) { const r = await fetch(`${base}/health/ready`); if (r.status === 503) return r.status; await new Promise((res) => setTimeout(res, 50)); } return 0; })();
    assert.equal(drained, 503);
    assert.equal((await fetch(`${base}/`)).status, 200);
  });

  test('verify-artifact.mjs passes an intact artifact and names a changed file', () => {
    const dir = join(tmp, 'artifact');
    mkdirSync(join(dir, 'api'), { recursive: true });
    writeFileSync(join(dir, 'api/server.mjs'), 'ok');
    const sha = createHash('sha256').update('ok').digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 'v1', commit: 'c', files: { 'api/server.mjs': sha } }));
    const ok = spawnSync(process.execPath, [join(here, 'verify-artifact.mjs'), dir], { encoding: 'utf8' });
    assert.deepEqual([ok.status, ok.stdout.trim()], [0, 'artifact v1 (c): 1 files verified']);
    writeFileSync(join(dir, 'api/server.mjs'), 'tampered');
    const bad = spawnSync(process.execPath, [join(here, 'verify-artifact.mjs'), dir], { encoding: 'utf8' });
    assert.deepEqual([bad.status, bad.stderr.trim()], [1, 'sha256 mismatch: api/server.mjs']);
  });
});
