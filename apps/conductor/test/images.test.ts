import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { canonicalJson, hashTree, readManifest, type ArtifactManifest } from '../src/artifacts/manifest.js';
import { verifyArtifact } from '../src/artifacts/verify.js';
import { imageSettings } from '../src/cli/commands/images.js';
import { artifactSource } from '../src/service/open-env.js';
import { ccPaths } from '../src/paths.js';
import { buildImages } from '../src/images/build-images.js';
import { imagePlan, imageTag, type BuildahCommand } from '../src/images/buildah-plan.js';
import { fakeExecutor } from './support/fake-executor.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// `ccr build --images` as data: the exact buildah commands, and what happens with the
// digests they report. The real build and push against a real registry is
// test/images-live.images.ts (`npm run test:images`), kept out of `npm test` for its minutes.

const root = new URL('../../../', import.meta.url).pathname;
const tmp = tempDir('ccr-images-test-');
after(() => rmSync(tmp, { recursive: true, force: true }));

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** A small but valid artifact: manifest with the sha256 of every file. */
export async function syntheticArtifact(dir: string, version = 'v1.2.3'): Promise<string> {
  mkdirSync(join(dir, 'api'), { recursive: true });
  mkdirSync(join(dir, 'web/assets'), { recursive: true });
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'api/server.mjs'), 'console.log("api")\n');
  writeFileSync(join(dir, 'api/migrate.mjs'), 'console.log("migrate")\n');
  writeFileSync(join(dir, 'web/index.html'), '<!doctype html><script src="/assets/app-3f2a.js"></script>\n');
  writeFileSync(join(dir, 'web/assets/app-3f2a.js'), 'console.log(1)\n');
  const manifest: ArtifactManifest = {
    formatVersion: 1, version, commit: COMMIT, builtAt: '2026-11-01T10:00:00.000Z', node: 'v20.0.0',
    entrypoints: { server: 'api/server.mjs', migrate: 'api/migrate.mjs' }, web: 'web', migrationsDir: 'migrations', migrations: [],
    files: await hashTree(dir), notes: [],
  };
  writeFileSync(join(dir, 'manifest.json'), canonicalJson(manifest));
  return dir;
}

const settings = { registry: '127.0.0.1:5000/cc', baseImage: 'localhost/cc-node-base:test', channelTags: ['stable', 'production'], tlsVerify: false, source: 'https://example.com/cc', storageRoot: '/s/root', runRoot: '/s/run' };
const B = ['buildah', '--storage-driver', 'vfs', '--root', '/s/root', '--runroot', '/s/run'];

describe('image build plan', () => {
  test('build, tag and push both images, exactly', () => {
    const plan = imagePlan(settings, { version: 'v1.2.3', commit: COMMIT, builtAt: '2026-11-01T10:00:00.000Z', contextDir: '/ctx', dockerDir: '/repo/deploy/docker', digestDir: '/d' });
    const bud = (kind: string) => [...B, 'bud', '--isolation', 'chroot', '--format', 'docker', '--pull-never', '--no-cache', '--file', `/repo/deploy/docker/${kind}.Dockerfile`,
      '--build-arg', 'BASE_IMAGE=localhost/cc-node-base:test', '--build-arg', 'VERSION=v1.2.3', '--build-arg', `COMMIT=${COMMIT}`, '--build-arg', 'BUILT_AT=2026-11-01T10:00:00.000Z',
      '--build-arg', 'SOURCE=https://example.com/cc', '--timestamp', '1793527200', '--tag', `127.0.0.1:5000/cc/cc-${kind}:v1.2.3`, '/ctx'];
    const push = (kind: string, tag: string) => [...B, 'push', '--tls-verify=false', '--digestfile', `/d/${kind}-${tag}.digest`, `127.0.0.1:5000/cc/cc-${kind}:${tag}`, `docker://127.0.0.1:5000/cc/cc-${kind}:${tag}`];
    assert.deepEqual(plan.map((c) => c.argv), [
      bud('api'),
      [...B, 'tag', '127.0.0.1:5000/cc/cc-api:v1.2.3', '127.0.0.1:5000/cc/cc-api:stable'],
      [...B, 'tag', '127.0.0.1:5000/cc/cc-api:v1.2.3', '127.0.0.1:5000/cc/cc-api:production'],
      push('api', 'v1.2.3'), push('api', 'stable'), push('api', 'production'),
      bud('web'),
      [...B, 'tag', '127.0.0.1:5000/cc/cc-web:v1.2.3', '127.0.0.1:5000/cc/cc-web:stable'],
      [...B, 'tag', '127.0.0.1:5000/cc/cc-web:v1.2.3', '127.0.0.1:5000/cc/cc-web:production'],
      push('web', 'v1.2.3'), push('web', 'stable'), push('web', 'production'),
    ]);
  });

  test('versions become valid OCI tags', () => {
    assert.deepEqual(['v1.4.0', 'v1.4.0+build.7', 'a0c231cdd1a0', '.hidden'].map(imageTag), ['v1.4.0', 'v1.4.0-build.7', 'a0c231cdd1a0', 'hidden']);
  });

  test('settings: a registry is required; TLS verification is on unless asked', () => {
    assert.throws(() => imageSettings({}, {}), /no registry/);
    const s = imageSettings({}, { CCR_IMAGE_REGISTRY: 'registry.example.com/cc' });
    assert.deepEqual([s.registry, s.baseImage, s.channelTags, s.tlsVerify], ['registry.example.com/cc', 'docker.io/library/node:20-bookworm-slim', ['stable', 'production'], true]);
    assert.equal(imageSettings({ registry: 'r/x', insecureRegistry: true, channel: ['stable'] }, {}).tlsVerify, false);
  });
});

describe('buildImages', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const fakeRunner = (digests: Record<string, string>) => fakeExecutor((cmd) => {
    const c = cmd as BuildahCommand;
    if (c.argv.includes('bud')) {
      // The context holds the artifact and the helper scripts the Dockerfiles run.
      const ctx = c.argv.at(-1)!;
      assert.ok(readFileSync(join(ctx, '.ccimage/verify-artifact.mjs'), 'utf8').includes('sha256 mismatch'));
      assert.ok(readFileSync(join(ctx, '.ccimage/web-server.mjs'), 'utf8').includes('immutable'));
      assert.equal(readFileSync(join(ctx, 'api/server.mjs'), 'utf8'), 'console.log("api")\n');
    }
    if (c.digestFile) writeFileSync(c.digestFile, `${digests[c.digestFile.replace(/^.*\//, '')] ?? digests[c.image!]}\n`);
  });

  test('records the pushed digests in the manifest; the artifact still verifies', async () => {
    const dir = await syntheticArtifact(join(tmp, 'a1'));
    const pushed = await buildImages({ artifactDir: dir, dockerDir: join(root, 'deploy/docker'), settings, executor: fakeRunner({ api: digest('a'), web: digest('b') }) });
    assert.deepEqual(pushed.api, { repository: '127.0.0.1:5000/cc/cc-api', digest: digest('a'), tags: ['v1.2.3', 'stable', 'production'], ref: `127.0.0.1:5000/cc/cc-api@${digest('a')}` });
    assert.deepEqual(readManifest(dir).images, {
      api: { repository: '127.0.0.1:5000/cc/cc-api', digest: digest('a'), tags: ['v1.2.3', 'stable', 'production'] },
      web: { repository: '127.0.0.1:5000/cc/cc-web', digest: digest('b'), tags: ['v1.2.3', 'stable', 'production'] },
    });
    const v = await verifyArtifact(tmp, 'a1');
    assert.deepEqual([v.ok, v.changed, v.missing, v.extra], [true, [], [], []]);
  });

  test('tags of one image pushed with different digests fail the build and record nothing', async () => {
    const dir = await syntheticArtifact(join(tmp, 'a2'));
    await assert.rejects(
      buildImages({ artifactDir: dir, dockerDir: join(root, 'deploy/docker'), settings, executor: fakeRunner({ api: digest('a'), 'api-stable.digest': digest('c'), web: digest('b') }) }),
      /pushing api gave digests sha256:a+, sha256:c+; expected one sha256/,
    );
    assert.equal(readManifest(dir).images, undefined);
  });
});

describe('the release sees the pushed images', () => {
  test('the artifact source gives repository@digest refs from the manifest, null before images are pushed', async () => {
    const home = join(tmp, 'home');
    const paths = ccPaths(root, home);
    await syntheticArtifact(join(paths.artifacts, 'v7'), 'v7');
    const source = artifactSource(paths, () => 'postgres://unused');
    assert.equal(source.images!('v7'), null);
    await buildImages({ artifactDir: join(paths.artifacts, 'v7'), dockerDir: join(root, 'deploy/docker'), settings, executor: fakeExecutor((cmd) => { const c = cmd as BuildahCommand; if (c.digestFile) writeFileSync(c.digestFile, `sha256:${(c.image === 'api' ? 'e' : 'f').repeat(64)}`); }) });
    assert.deepEqual(source.images!('v7'), { api: `127.0.0.1:5000/cc/cc-api@sha256:${'e'.repeat(64)}`, web: `127.0.0.1:5000/cc/cc-web@sha256:${'f'.repeat(64)}` });
    assert.equal(source.images!('missing'), null);
  });
});
