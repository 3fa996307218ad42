import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { COMMANDS, commandWord } from '../src/cli/commands/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';

// The ccr bin runs a bundle of the source, rebuilt when the source changes, and loads only the
// command it runs. These tests pin what that must not cost: a stale bundle, a lost command.

const CONDUCTOR = fileURLToPath(new URL('..', import.meta.url));
const REPO = join(CONDUCTOR, '../..');
const ccr = (args: string[], env: NodeJS.ProcessEnv = {}, bin = CCR_BIN) => run(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });

/**
 * A copy of the conductor and the workspace packages in a temp folder, with the repository's
 * node_modules linked in (the @cc/* links pointing at the copies). The staleness test edits
 * files of this copy, never the source tree other test files run ccr from at the same time.
 */
function conductorCopy(): { root: string; conductor: string } {
  const root = mkdtempSync(join(tmpdir(), 'ccr-bundle-'));
  const source = (p: string) => !/\/(node_modules|dist|\.cc)(\/|$)/.test(p);
  cpSync(CONDUCTOR, join(root, 'apps/conductor'), { recursive: true, filter: source });
  cpSync(join(REPO, 'packages'), join(root, 'packages'), { recursive: true, filter: source });
  mkdirSync(join(root, 'node_modules/@cc'), { recursive: true });
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== '@cc') symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name));
  }
  for (const name of readdirSync(join(REPO, 'node_modules/@cc'))) {
    const real = realpathSync(join(REPO, 'node_modules/@cc', name));
    const copy = join(root, relative(REPO, real));
    symlinkSync(existsSync(copy) ? copy : real, join(root, 'node_modules/@cc', name));
  }
  return { root, conductor: join(root, 'apps/conductor') };
}

describe('ccr command line', () => {
  test('the command word is the first argument that is not an option', () => {
    assert.equal(commandWord(['--json', 'rollback', '--to', 'v1']), 'rollback');
    assert.equal(commandWord(['--help']), undefined);
    assert.equal(commandWord([]), undefined);
  });

  test('--help lists every command although each loads on demand', async () => {
    const r = await ccr(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z0-9-]+)\b/gm)].map((m) => m[1]);
    for (const name of Object.keys(COMMANDS)) assert.ok(listed.includes(name), `ccr --help does not list ${name}:\n${r.stdout}`);
  });

  test('a command\'s --help shows its example; --version prints the package version; an unknown command is refused', async () => {
    const help = await ccr(['rollback', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--to <version>/);
    assert.match(help.stdout, /Example:\n\s+\$ npx ccr rollback/);
    const version = await ccr(['--version']);
    const pkg = JSON.parse(readFileSync(join(CONDUCTOR, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    const unknown = await ccr(['rolback']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command 'rolback'/);
  });

  test('a changed source file makes the bundle stale, and the next ccr rebuilds it before running (CCR_FROM_SOURCE=1 runs tsx instead)', async () => {
    const sourceMtime = statSync(join(CONDUCTOR, 'src', 'errors.ts')).mtimeMs;
    const copy = conductorCopy();
    after(() => rmSync(copy.root, { recursive: true, force: true }));
    const bin = join(copy.conductor, 'bin/ccr.mjs');
    // the copy's own bundle module: its dist/ is the copy's
    const { BUNDLE, bundleIsFresh } = (await import(join(copy.conductor, 'bin/cli-bundle.mjs'))) as { BUNDLE: string; bundleIsFresh: () => boolean };
    const stampOf = () => JSON.parse(readFileSync(join(copy.conductor, 'dist', 'ccr.inputs.json'), 'utf8')) as { startedAt: number; inputs: string[] };
    assert.equal((await ccr(['--version'], {}, bin)).code, 0);
    assert.equal(bundleIsFresh(), true);
    const before = stampOf();
    assert.ok(before.inputs.includes('src/cli/commands/rollback.ts'), 'the stamp lists the bundle\'s inputs');
    assert.ok(before.inputs.some((f) => f.startsWith('../../packages/pg-migrate/src/')), 'workspace packages are bundled');
    const file = join(copy.conductor, 'src', 'errors.ts');
    const st = statSync(file);
    await sleep(5);
    utimesSync(file, st.atime, new Date()); // as an editor's save would
    assert.equal(bundleIsFresh(), false);
    // CCR_FROM_SOURCE=1 runs the TypeScript through tsx: it works and leaves the bundle alone
    const fromSource = await ccr(['plan', '--help'], { CCR_FROM_SOURCE: '1' }, bin);
    assert.equal(fromSource.code, 0, fromSource.stderr);
    assert.match(fromSource.stdout, /Usage: ccr plan/);
    assert.equal(bundleIsFresh(), false, 'the source run did not touch the bundle');
    const r = await ccr(['--version'], {}, bin);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(bundleIsFresh(), true);
    assert.ok(stampOf().startedAt > before.startedAt, 'rebuilt');
    assert.ok(statSync(BUNDLE).mtimeMs >= stampOf().startedAt);
    assert.equal(statSync(join(CONDUCTOR, 'src', 'errors.ts')).mtimeMs, sourceMtime, 'the source tree was not touched');
  });
});
