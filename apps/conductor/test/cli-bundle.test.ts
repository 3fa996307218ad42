import assert from 'node:assert/strict';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JS module of the bin folder, without type declarations
import { BUNDLE, bundleIsFresh } from '../bin/cli-bundle.mjs';
import { COMMANDS, commandWord } from '../src/cli/commands/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';

// The ccr bin runs a bundle of the source, rebuilt when the source changes, and loads only the
// command it runs. These tests pin what that must not cost: a stale bundle, a lost command.

const CONDUCTOR = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = join(CONDUCTOR, 'dist', 'ccr.inputs.json');
const ccr = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [CCR_BIN, ...args], { env: { ...process.env, ...env } });
const stampOf = () => (JSON.parse(readFileSync(INPUTS, 'utf8')) as { startedAt: number; inputs: string[] });

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
    assert.equal((await ccr(['--version'])).code, 0);
    assert.equal(bundleIsFresh(), true);
    const before = stampOf();
    assert.ok(before.inputs.includes('src/cli/commands/rollback.ts'), 'the stamp lists the bundle\'s inputs');
    assert.ok(before.inputs.some((f) => f.startsWith('../../packages/pg-migrate/src/')), 'workspace packages are bundled');
    const file = join(CONDUCTOR, 'src', 'errors.ts');
    const st = statSync(file);
    await sleep(5);
    utimesSync(file, st.atime, new Date()); // as an editor's save would
    try {
      assert.equal(bundleIsFresh(), false);
      // CCR_FROM_SOURCE=1 runs the TypeScript through tsx: it works and leaves the bundle alone
      const fromSource = await ccr(['plan', '--help'], { CCR_FROM_SOURCE: '1' });
      assert.equal(fromSource.code, 0, fromSource.stderr);
      assert.match(fromSource.stdout, /Usage: ccr plan/);
      assert.equal(bundleIsFresh(), false, 'the source run did not touch the bundle');
      const r = await ccr(['--version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(bundleIsFresh(), true);
      assert.ok(stampOf().startedAt > before.startedAt, 'rebuilt');
      assert.ok(statSync(BUNDLE as string).mtimeMs >= stampOf().startedAt);
    } finally {
      utimesSync(file, st.atime, st.mtime);
    }
  });
});
