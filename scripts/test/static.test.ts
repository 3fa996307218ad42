import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

// Type errors and lint violations (type-only imports, dependency direction) fail `npm test`,
// so CI catches them with the same command a developer runs.
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

async function check(cmd: string, args: string[]): Promise<string> {
  try {
    await run(cmd, args, { cwd: root, maxBuffer: 20 * 1024 * 1024 });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
  }
}

test('typescript: the whole repository typechecks (strict)', async () => {
  const out = await check('npx', ['tsc', '-p', 'tsconfig.json']);
  assert.equal(out, '', out);
});

test('typescript: the web app typechecks against the DOM (apps/web/tsconfig.json)', async () => {
  const out = await check('npx', ['tsc', '-p', 'apps/web/tsconfig.json']);
  assert.equal(out, '', out);
});

test('eslint: type-only imports and the dependency direction hold', async () => {
  const out = await check('npx', ['eslint', '--max-warnings=0', '.']);
  assert.equal(out, '', out);
});
