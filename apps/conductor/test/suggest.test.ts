import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CcrError, EXIT_STATUS } from '../src/errors.js';
import { editDistance, nearest, unknownValue } from '../src/suggest.js';
import { STRATEGIES } from '../src/config/index.js';
import { environment, parseRollout } from '../src/config/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';

describe('did you mean', () => {
  test('edit distance counts insertions, deletions, substitutions and swaps', () => {
    assert.deepEqual([editDistance('canary', 'canary'), editDistance('canry', 'canary'), editDistance('cnaary', 'canary'), editDistance('rolling', 'rollout')], [0, 1, 1, 3]);
  });

  test('the nearest valid value, ignoring case and punctuation; nothing when nothing is close', () => {
    assert.equal(nearest('bluegreen', STRATEGIES), 'blue-green');
    assert.equal(nearest('blueGreen', STRATEGIES), 'blue-green');
    assert.equal(nearest('canery', STRATEGIES), 'canary');
    assert.equal(nearest('rollin', STRATEGIES), 'rolling');
    assert.equal(nearest('shadow', STRATEGIES), null);
    assert.equal(unknownValue('strategy', 'bluegreen', STRATEGIES), 'unknown strategy "bluegreen": did you mean blue-green? (valid: blue-green, canary, rolling)');
  });

  test('an unknown environment names the nearest one', () => {
    const config = parseRollout('version: 1\ndefaultEnvironment: staging\nenvironments:\n  staging: { target: { type: local } }\n  production: { target: { type: local } }\nplan:\n  - phase: deployment\n    steps:\n      - { id: deploy, kind: automated, type: deploy.backend, title: Deploy }\n', 'x.yaml');
    assert.throws(() => environment(config, 'prodution'), (err: CcrError) => err.code === 'usage' && err.message === 'unknown environment "prodution": did you mean production? (known: staging, production)');
  });

  test('ccr deploy --strategy bluegreen answers "did you mean blue-green?" and exits 64', async () => {
    const r = await run(process.execPath, [CCR_BIN, 'deploy', 'v1', '--strategy', 'bluegreen', '--json'], { env: process.env });
    assert.equal(r.code, 64, r.stderr);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.deepEqual(err, { code: 'usage', message: '--strategy: unknown strategy "bluegreen": did you mean blue-green? (valid: blue-green, canary, rolling)' });
  });
});

describe('exit statuses', () => {
  test('every error code has the exit status DESIGN §4 and the README document', () => {
    const documented = (file: string) => {
      const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
      return Object.fromEntries([...text.matchAll(/^\s*\| `([a-z_]+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    };
    assert.deepEqual(documented('docs/DESIGN.md'), { ...EXIT_STATUS });
    assert.deepEqual(documented('README.md'), { ...EXIT_STATUS });
    assert.equal(new CcrError('conflict', 'x').exitCode, 4);
    assert.equal(new CcrError('usage', 'x').exitCode, 64);
  });
});
