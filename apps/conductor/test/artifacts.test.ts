import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { buildArtifact } from '../src/artifacts/build.js';
import { resolveRef } from '../src/artifacts/git.js';
import { readManifest, type ArtifactManifest } from '../src/artifacts/manifest.js';
import { freePort, waitReady } from '../src/supervisor/health.js';
import { isAlive, terminate } from '../src/supervisor/process-control.js';
import { ccr, createTestDatabase, run, scratchRepo, tempDir, type TestDatabase } from './artifacts-fixture.js';

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('release artifacts', () => {
  let root: string;
  let repo: string;
  let home: string;
  let dir: string;
  let manifest: ArtifactManifest;
  let commit: string;
  let db: TestDatabase;

  before(async () => {
    root = tempDir('ccr-artifacts-');
    repo = scratchRepo(root);
    home = join(root, 'home');
    commit = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD']).toString().trim();
    db = await createTestDatabase();
  });

  after(async () => {
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('ccr build HEAD writes the artifact with a manifest whose hashes match every file', async () => {
    const r = await ccr(['build', 'HEAD', '--json'], { repo, home });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { version: string; commit: string; built: boolean; dir: string };
    assert.equal(out.built, true);
    assert.equal(out.commit, commit);
    assert.equal(out.version, commit.slice(0, 12));
    dir = join(home, 'artifacts', out.version);
    assert.equal(out.dir, dir);
    manifest = readManifest(dir);
    assert.equal(manifest.version, out.version);
    assert.equal(manifest.commit, commit);
    const committedAt = execFileSync('git', ['-C', repo, 'show', '-s', '--format=%ct', commit]).toString().trim();
    assert.equal(manifest.builtAt, new Date(Number(committedAt) * 1000).toISOString());
    assert.equal(manifest.node, process.version);

    const onDisk = walk(dir).filter((f) => f !== 'manifest.json');
    assert.deepEqual(Object.keys(manifest.files), onDisk);
    for (const f of onDisk) assert.equal(manifest.files[f], sha(join(dir, f)), f);
    for (const entry of ['api/server.mjs', 'api/migrate.mjs']) assert.ok(onDisk.includes(entry), entry);
    assert.ok(onDisk.includes('node_modules/argon2/package.json'), 'the native argon2 package is shipped beside the bundle');

    const sqlInRef = execFileSync('git', ['-C', repo, 'ls-tree', '--name-only', 'HEAD', 'apps/api/migrations/']).toString().trim().split('\n').map((p) => p.split('/').pop()!).filter((n) => n.endsWith('.up.sql'));
    assert.deepEqual(manifest.migrations.map((m) => m.up.split('/').pop()), sqlInRef.sort());
    for (const m of manifest.migrations) assert.equal(m.sha256, sha(join(dir, m.up)));
    // The manifest is canonical: keys sorted, so equal content is equal bytes.
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(text) as object), Object.keys(JSON.parse(text) as object).sort());
    if (manifest.web) assert.ok(onDisk.includes('web/index.html'));
    else assert.ok(manifest.notes.some((n) => n.startsWith('web:')));
  });

  test('a second build of the same ref does nothing, and a fresh build is byte-identical', async () => {
    const before = statSync(join(dir, 'manifest.json'));
    const r = await ccr(['build', commit, '--json'], { repo, home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { built: boolean }).built, false);
    assert.equal(statSync(join(dir, 'manifest.json')).mtimeMs, before.mtimeMs);
    assert.deepEqual(readdirSync(join(home, 'artifacts')).filter((n) => !n.startsWith('.build-')), [manifest.version]);

    const again = await buildArtifact({ repo, ref: 'HEAD', artifactsDir: join(root, 'second') });
    assert.equal(again.built, true);
    const files = walk(dir);
    assert.deepEqual(walk(again.dir), files);
    for (const f of files) assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(again.dir, f))), `${f} differs between two builds`);
    assert.ok(!execFileSync('git', ['-C', repo, 'worktree', 'list']).toString().includes('ccr-build-'), 'the build worktree is removed');
  });

  test('a tag builds under its own name', async () => {
    execFileSync('git', ['-C', repo, 'tag', 'v0.0.1-test', commit]);
    const ref = await resolveRef(repo, 'v0.0.1-test');
    assert.deepEqual({ version: ref.version, commit: ref.commit, isTag: ref.isTag }, { version: 'v0.0.1-test', commit, isTag: true });
    const bad = await ccr(['build', 'no-such-ref', '--json'], { repo, home });
    assert.equal(bad.code, 1);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'not_found');
  });

  test('verify-artifact passes an intact artifact and names changed, missing and extra files', async () => {
    const ok = await ccr(['verify-artifact', manifest.version, '--json'], { repo, home });
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);

    const home2 = join(root, 'tampered');
    cpSync(dir, join(home2, 'artifacts', manifest.version), { recursive: true });
    const art = join(home2, 'artifacts', manifest.version);
    const migration = manifest.migrations[0]!.down;
    appendFileSync(join(art, 'api/migrate.mjs'), '\n// tampered\n');
    rmSync(join(art, migration));
    writeFileSync(join(art, 'api/extra.js'), 'x');
    const bad = await ccr(['verify-artifact', manifest.version, '--json'], { repo, home: home2 });
    assert.equal(bad.code, 1);
    const err = (JSON.parse(bad.stdout) as { error: { code: string; details: { changed: string[]; missing: string[]; extra: string[] } } }).error;
    assert.equal(err.code, 'artifact_invalid');
    assert.deepEqual(err.details, { version: manifest.version, changed: ['api/migrate.mjs'], missing: [migration], extra: ['api/extra.js'] });
  });

  test('the bundled API migrates and serves with plain node, reporting the manifest version', async () => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DATABASE_URL: db.url, MIGRATIONS_DIR: join(dir, 'migrations') };
    const migrated = await run(process.execPath, [join(dir, 'api/migrate.mjs'), 'up', '--json'], { env, cwd: dir });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal((JSON.parse(migrated.stdout.trim().split('\n').at(-1)!) as { applied: unknown[] }).applied.length, manifest.migrations.length);

    const port = await freePort();
    const child = spawn(process.execPath, [join(dir, 'api/server.mjs')], {
      cwd: dir,
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', APP_VERSION: manifest.version, APP_COMMIT: manifest.commit, APP_BUILT_AT: manifest.builtAt, LOG_LEVEL: 'warn', JWT_SECRET: 'x'.repeat(48) },
      stdio: 'ignore',
    });
    try {
      const ready = await waitReady(`http://127.0.0.1:${port}`, 30_000, () => child.exitCode !== null);
      assert.equal(ready.ready, true, ready.reason);
      const v = (await (await fetch(`http://127.0.0.1:${port}/version`)).json()) as Record<string, unknown>;
      assert.deepEqual(v, { version: manifest.version, commit: manifest.commit, builtAt: manifest.builtAt, schemaVersion: manifest.migrations.at(-1)!.version });
    } finally {
      await terminate(child.pid!, 10_000);
    }
    assert.equal(isAlive(child.pid!), false);
    assert.ok(existsSync(join(dir, 'manifest.json')));
  });
});
