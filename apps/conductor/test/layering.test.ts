import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
// @ts-expect-error -- a plain ES module shared with eslint.config.js
import { CONDUCTOR_LAYERS } from '../layers.mjs';

// The conductor's layers (layers.mjs, DESIGN §5) are enforced by lint. These lint fixture
// sources as if they sat in src/ (nothing is written there) and check the rule really fires.

const root = new URL('../../../', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(new URL(`./fixtures/layering/${name}`, import.meta.url), 'utf8');
const layers = CONDUCTOR_LAYERS as string[][];

async function restrictedImports(source: string, asFile: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(source, { filePath: join(root, 'apps/conductor/src', asFile) });
  const fatal = result!.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the fixture parses');
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('a wrong-way import (engine importing steps or targets) fails lint', async () => {
  const messages = await restrictedImports(fixture('wrong-way.ts.txt'), 'engine/layering-fixture.ts');
  assert.equal(messages.length, 2, messages.join('\n'));
  assert.match(messages[0]!, /'\.\.\/steps\/index\.js' import is restricted .*engine \(layer 6\) must not import from a layer above it/);
  assert.match(messages[1]!, /'\.\.\/\.\.\/targets\/local-target\.js'/);
});

test('a right-way import (engine importing command, config, errors and itself) passes', async () => {
  assert.deepEqual(await restrictedImports(fixture('right-way.ts.txt'), 'engine/layering-fixture.ts'), []);
  // the same wrong-way source is fine one layer up, where steps/ may import engine-level code
  const fromCli = await restrictedImports(fixture('wrong-way.ts.txt'), 'cli/layering-fixture.ts');
  assert.deepEqual(fromCli, []);
});

test('only command/ starts processes', async () => {
  const messages = await restrictedImports(fixture('starts-a-process.ts.txt'), 'gates/layering-fixture.ts');
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /'node:child_process' import is restricted .*apps\/conductor\/src\/command/);
  assert.deepEqual(await restrictedImports(fixture('starts-a-process.ts.txt'), 'command/layering-fixture.ts'), []);
});

test('only cli/ decides the paths: a step importing ccPaths fails lint, the CcPaths type is fine', async () => {
  const messages = await restrictedImports(fixture('looks-up-paths.ts.txt'), 'steps/layering-fixture.ts');
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0]!, /'ccPaths' import from '\.\.\/paths\.js' is restricted .*ctx\.services\.paths/);
  assert.deepEqual(await restrictedImports("import type { CcPaths } from '../paths.js';\nexport type P = CcPaths;\n", 'steps/layering-fixture.ts'), []);
  assert.deepEqual(await restrictedImports(fixture('looks-up-paths.ts.txt'), 'cli/layering-fixture.ts'), []);
});

test('every folder and top-level file of src/ has its layer', () => {
  const placed = new Set(layers.flat());
  const entries = readdirSync(new URL('../src/', import.meta.url), { withFileTypes: true }).map((e) => (e.isDirectory() ? e.name : e.name.replace(/\.ts$/, '')));
  assert.deepEqual(entries.filter((e) => !placed.has(e)), [], 'add new folders to apps/conductor/layers.mjs');
  assert.equal(placed.size, layers.flat().length, 'each folder in one layer only');
});
