import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { readManifest } from '../../src/artifacts/manifest.js';
import { CCR_BIN, run, scratchRepo, sharedArtifact } from '../artifacts-fixture.js';

// Shared by the `npm run test:images` files: containers storage in a folder of the test
// (vfs, so no overlay mounts outlive it), a base image made from this machine's node (public
// registries are out of reach), Debian's docker-registry on a free loopback port, and the
// committed HEAD built into an artifact whose two images `ccr images push` builds and pushes
// exactly as a release does, digests recorded.

export const BASE_IMAGE = 'localhost/cc-node-base:test';

export interface Storage {
  root: string;
  runRoot: string;
  /** --storage-driver vfs --root ... --runroot ...: the same for buildah and podman. */
  flags: string[];
}

export function storageIn(dir: string): Storage {
  const root = join(dir, 'storage');
  const runRoot = join(dir, 'run');
  return { root, runRoot, flags: ['--storage-driver', 'vfs', '--root', root, '--runroot', runRoot] };
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, host, () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

/** Polls fn until it returns a value (errors count as "not yet"); the deadline names what was awaited. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000, everyMs = 250): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v !== undefined) return v; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function buildah(storage: Storage, ...args: string[]): Promise<string> {
  const r = await run('buildah', [...storage.flags, ...args]);
  if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A base image with node and nothing else: the node binary, every library it links, uid 10001 in /etc/passwd. */
export async function buildBaseImage(storage: Storage): Promise<void> {
  const ctr = await buildah(storage, 'from', 'scratch');
  const mnt = await buildah(storage, 'mount', ctr);
  const node = readlinkSync('/proc/self/exe');
  const ldd = await run('ldd', [node]);
  const libs = [...ldd.stdout.matchAll(/(\/\S+)/g)].map((m) => m[1]!);
  mkdirSync(join(mnt, 'usr/local/bin'), { recursive: true });
  cpSync(node, join(mnt, 'usr/local/bin/node'));
  for (const lib of libs) { mkdirSync(join(mnt, dirname(lib)), { recursive: true }); cpSync(lib, join(mnt, lib), { dereference: true }); }
  mkdirSync(join(mnt, 'tmp'));
  chmodSync(join(mnt, 'tmp'), 0o1777);
  mkdirSync(join(mnt, 'etc'));
  writeFileSync(join(mnt, 'etc/passwd'), 'root:x:0:0:root:/:/sbin/nologin\napp:x:10001:10001:app:/app:/sbin/nologin\n');
  await buildah(storage, 'config', '--env', 'PATH=/usr/local/bin:/usr/bin:/bin', ctr);
  await buildah(storage, 'unmount', ctr);
  await buildah(storage, 'commit', '--quiet', '--rm', ctr, BASE_IMAGE);
}

export interface Registry {
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port> */
  host: string;
  stop(): void;
}

export async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'registry.yml');
  writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\nlog:\n  level: warn\n`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  try {
    await waitFor('the registry', async () => ((await fetch(`${url}/v2/`)).ok ? true : undefined));
  } catch (err) {
    stop();
    throw err;
  }
  return { url, host: `127.0.0.1:${port}`, stop };
}

export interface StagedRelease {
  version: string;
  commit: string;
  /** CCR_HOME holding a copy of the artifact (manifest.json gets the digests). */
  home: string;
  artifactDir: string;
}

/** The committed HEAD as an artifact copied under dir/home (recording digests rewrites its manifest). */
export async function stageArtifact(dir: string): Promise<StagedRelease> {
  const artifact = await sharedArtifact(scratchRepo(dir));
  const home = join(dir, 'home');
  const artifactDir = join(home, 'artifacts', artifact.version);
  cpSync(artifact.dir, artifactDir, { recursive: true });
  return { version: artifact.version, commit: readManifest(artifactDir).commit, home, artifactDir };
}

export interface PushedImages {
  api: { digest: string; ref: string; tags: string[] };
  web: { digest: string; ref: string; tags: string[] };
}

/** `ccr images push <version>` into the registry under <host>/cc, building in `storage`. */
export async function pushImages(release: StagedRelease, registry: Registry, storage: Storage): Promise<PushedImages> {
  const r = await run(process.execPath, [CCR_BIN, 'images', 'push', release.version, '--registry', `${registry.host}/cc`, '--insecure-registry', '--base-image', BASE_IMAGE, '--json'], {
    env: { ...process.env, CCR_HOME: release.home, CCR_BUILDAH_ROOT: storage.root, CCR_BUILDAH_RUNROOT: storage.runRoot },
  });
  if (r.code !== 0) throw new Error(`ccr images push exited ${r.code}: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { images: PushedImages }).images;
}
