#!/usr/bin/env node
// The `ccr` command: the bundled CLI, rebuilt first when its source changed (see cli-bundle.mjs).
// CCR_FROM_SOURCE=1 runs the TypeScript through tsx instead, and so does any failure to build,
// so that a syntax error is reported by tsx against the source file rather than swallowed here.
import { pathToFileURL } from 'node:url';
import { BUNDLE, buildBundle, bundleIsFresh } from './cli-bundle.mjs';

async function fromBundle() {
  if (process.env['CCR_FROM_SOURCE'] === '1') return false;
  if (bundleIsFresh()) return true;
  try {
    await buildBundle();
    return true;
  } catch {
    return false;
  }
}

if (await fromBundle()) {
  await import(pathToFileURL(BUNDLE).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
