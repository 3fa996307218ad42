// The router's modules form no import cycle, counting type-only imports (issue 18: router.ts
// and admin-server.ts used to import each other). The checker is proven on a fixture first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importCycles } from '../../../scripts/lib/import-cycles.js';

const here = new URL('.', import.meta.url).pathname;

test('the cycle checker finds a cycle whose one half is a type-only import', () => {
  assert.deepEqual(importCycles(`${here}fixtures/import-cycle`), ['app.ts → server.ts → app.ts']);
});

test('packages/router/src has no import cycle (value or type imports)', () => {
  const cycles = importCycles(`${here}../src`);
  assert.deepEqual(cycles, [], `move the shared piece into its own file:\n${cycles.join('\n')}`);
});
