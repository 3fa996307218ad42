import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readManifest } from '../src/artifacts/manifest.js';
import { verifyArtifact } from '../src/artifacts/verify.js';
import { createTestDatabase, run, tempDir, type TestDatabase } from './artifacts-fixture.js';
import { buildah as buildahIn, buildBaseImage, freePort, pushImages, stageArtifact, startRegistry, storageIn, waitFor, type PushedImages, type Registry, type StagedRelease } from './support/image-stage.js';

// `npm run test:images` (not part of `npm test`: it builds real images, a few minutes on two
// cores). Everything is real: a base image made from this machine's Debian-packaged node
// runtime (buildah from scratch + the node binary and the shared libraries it links), the
// committed HEAD built into an artifact, `ccr images push` building both images with buildah
// (vfs storage, chroot isolation) and pushing them to Debian's docker-registry started here,
// then the pushed bytes read back from the registry and the images run with `buildah run`:
// the web image serves its headers, the API image answers /health/ready on a real database.

const tmp = tempDir('ccr-images-live-');
const storage = storageIn(tmp);
let registry: Registry | undefined;
let release: StagedRelease;
let pushed: PushedImages;
let registryUrl = '';
let artifactVersion = '';
const children: ChildProcess[] = [];
let db: TestDatabase | undefined;

after(async () => {
  // `buildah run` leaves its chroot child behind when killed alone: end the whole group.
  for (const c of children) if (c.pid) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ } }
  registry?.stop();
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

const buildah = (...args: string[]) => buildahIn(storage, ...args);

/** Starts a process and resolves with the first stdout line matching re. */
function startAndMatch(cmd: string, args: string[], env: NodeJS.ProcessEnv, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(child);
    let out = '';
    const onData = (d: Buffer) => { out += d.toString(); const m = re.exec(out); if (m) resolve(m); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code} before matching ${re}: ${out.slice(-2000)}`)));
  });
}

async function registryGet(path: string, accept = 'application/vnd.docker.distribution.manifest.v2+json'): Promise<Response> {
  const res = await fetch(`${registryUrl}${path}`, { headers: { accept } });
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  return res;
}

describe('images: buildah build and push to a real registry', () => {
  before(async () => {
    registry = await startRegistry(tmp);
    registryUrl = registry.url;
    await buildBaseImage(storage);
    release = await stageArtifact(tmp);
    artifactVersion = release.version;
  });

  test('ccr images push builds both images, pushes every tag and records the digests', async () => {
    pushed = await pushImages(release, registry!, storage);
    const out = { images: pushed };
    const dir = join(tmp, 'home/artifacts', artifactVersion);
    const manifest = readManifest(dir);
    assert.equal(manifest.images?.api.digest, out.images.api.digest);
    assert.equal(manifest.images?.web.digest, out.images.web.digest);
    assert.deepEqual(out.images.api.tags, [artifactVersion, 'stable', 'production']);
    assert.equal((await verifyArtifact(join(tmp, 'home/artifacts'), artifactVersion)).ok, true);
    // The registry serves the same manifest digest under every tag.
    for (const [name, img] of [['cc-api', out.images.api], ['cc-web', out.images.web]] as const) {
      for (const tag of img.tags) {
        const res = await registryGet(`/v2/cc/${name}/manifests/${tag}`);
        assert.equal(res.headers.get('docker-content-digest'), img.digest, `${name}:${tag}`);
      }
    }
  });

  test('image config: OCI labels, non-root user, HEALTHCHECK on /health/ready, no secrets in the environment', async () => {
    const manifest = readManifest(join(tmp, 'home/artifacts', artifactVersion));
    for (const [name, port] of [['cc-api', '3000'], ['cc-web', '8080']] as const) {
      const m = (await (await registryGet(`/v2/cc/${name}/manifests/${artifactVersion}`)).json()) as { config: { digest: string }; layers: Array<{ digest: string }> };
      const cfg = (await (await registryGet(`/v2/cc/${name}/blobs/${m.config.digest}`, '*/*')).json()) as { config: { User: string; Labels: Record<string, string>; Env: string[]; ExposedPorts: Record<string, unknown>; Healthcheck: { Test: string[] } } };
      assert.equal(cfg.config.User, '10001:10001');
      assert.equal(cfg.config.Labels['org.opencontainers.image.version'], artifactVersion);
      assert.equal(cfg.config.Labels['org.opencontainers.image.revision'], manifest.commit);
      assert.match(cfg.config.Labels['org.opencontainers.image.source']!, /^https:\/\//);
      assert.match(cfg.config.Healthcheck.Test.join(' '), /\/health\/ready/);
      assert.deepEqual(Object.keys(cfg.config.ExposedPorts), [`${port}/tcp`]);
      assert.deepEqual(cfg.config.Env.filter((e) => /SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL/.test(e)), []);
      assert.ok(cfg.config.Env.includes(`APP_VERSION=${artifactVersion}`));
      // Two layers: the base, and one with only the verified files (the verify stage is discarded).
      assert.equal(m.layers.length, 2);
      const layer = Buffer.from(await (await registryGet(`/v2/cc/${name}/blobs/${m.layers[1]!.digest}`, '*/*')).arrayBuffer());
      const layerFile = join(tmp, `${name}-layer.tar.gz`);
      writeFileSync(layerFile, layer);
      const files = (await run('tar', ['-tzf', layerFile])).stdout.split('\n').filter(Boolean);
      // No source tree, no TypeScript, no build tools, no env files (a native package's own C
      // sources, which argon2 publishes, are its business).
      assert.deepEqual(files.filter((f) => /^app\/(src|apps|packages|\.ccimage|\.git)\/|\.ts$|\/(typescript|esbuild|vite|tsx|eslint)\/|(^|\/)\.env/.test(f)), [], `${name}: dev files in the layer`);
      if (name === 'cc-api') {
        assert.ok(files.includes('app/api/server.mjs') && files.includes('app/manifest.json') && files.some((f) => f.startsWith('app/node_modules/argon2/')), files.slice(0, 20).join(' '));
      } else {
        assert.ok(files.includes('app/web-server.mjs') && files.includes('app/web/index.html'));
        assert.deepEqual(files.filter((f) => f.startsWith('app/api/') || f.startsWith('app/node_modules/')), []);
      }
    }
  });

  test('the web image, pulled back by digest and run, serves assets immutable and index.html no-cache', async () => {
    const manifest = readManifest(join(tmp, 'home/artifacts', artifactVersion));
    const ref = `127.0.0.1:${new URL(registryUrl).port}/cc/cc-web@${manifest.images!.web.digest}`;
    const ctr = await buildah('from', '--tls-verify=false', '--pull-always', ref);
    const m = await startAndMatch('buildah', [...storage.flags, 'run', '--isolation', 'chroot', '--env', 'PORT=0', ctr, '--', 'node', 'web-server.mjs'], {}, /"port":(\d+)/);
    const base = `http://127.0.0.1:${m[1]}`;
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const asset = /\/assets\/[^"']+\.js/.exec(html)![0];
    const js = await fetch(`${base}${asset}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${base}/assets/missing-0000.js`)).status, 404);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
    assert.equal(((await (await fetch(`${base}/version`)).json()) as { version: string }).version, artifactVersion);
  });

  test('the API image, run against a real database, migrates and answers /health/ready', async () => {
    db = await createTestDatabase();
    const manifest = readManifest(join(tmp, 'home/artifacts', artifactVersion));
    const ref = `127.0.0.1:${new URL(registryUrl).port}/cc/cc-api@${manifest.images!.api.digest}`;
    const ctr = await buildah('from', '--tls-verify=false', '--pull-always', ref);
    const migrate = await run('buildah', [...storage.flags, 'run', '--isolation', 'chroot', '--env', `DATABASE_URL=${db.url}`, ctr, '--', 'node', 'api/migrate.mjs', 'up']);
    assert.equal(migrate.code, 0, migrate.stderr + migrate.stdout);
    const port = await freePort();
    const env = ['--env', `DATABASE_URL=${db.url}`, '--env', `PORT=${port}`, '--env', 'HOST=127.0.0.1', '--env', `JWT_SECRET=${'k'.repeat(64)}`];
    const child = spawn('buildah', [...storage.flags, 'run', '--isolation', 'chroot', ...env, ctr, '--', 'node', 'api/server.mjs'], { stdio: 'ignore', detached: true });
    children.push(child);
    const ready = await waitFor('the API in the image', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    assert.ok(ready);
    const version = (await (await fetch(`http://127.0.0.1:${port}/version`)).json()) as { version: string; commit: string };
    assert.deepEqual([version.version, version.commit], [artifactVersion, manifest.commit]);
  });
});
