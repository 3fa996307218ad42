import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { toolMajor } from '../src/backup/pg-tools.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

test('the pg_dump version is read once per file, and again when the file is replaced', async () => {
  const dir = tempDir('ccr-pgtool-');
  const bin = join(dir, 'pg_dump');
  const runs = join(dir, 'runs');
  const fake = (v: string) => {
    writeFileSync(bin, `#!/bin/sh\necho x >> ${runs}\necho "pg_dump (PostgreSQL) ${v}"\n`);
    chmodSync(bin, 0o755);
  };
  fake('13.9');
  assert.equal((await toolMajor(bin)).major, 13);
  assert.equal((await toolMajor(bin)).major, 13);
  assert.equal(readFileSync(runs, 'utf8'), 'x\n', 'the second check reuses the first');
  fake('15.20 (a longer, newer build)');
  assert.deepEqual(await toolMajor(bin), { major: 15, text: 'pg_dump (PostgreSQL) 15.20 (a longer, newer build)' });
});

test('a failed version check is not remembered', async () => {
  const dir = tempDir('ccr-pgtool-');
  const bin = join(dir, 'pg_dump');
  writeFileSync(bin, '#!/bin/sh\nif [ -f "$0.ok" ]; then echo "pg_dump (PostgreSQL) 16.1"; else echo broken >&2; exit 1; fi\n');
  chmodSync(bin, 0o755);
  await assert.rejects(toolMajor(bin), /cannot read the version of .*broken/);
  writeFileSync(`${bin}.ok`, '');
  assert.equal((await toolMajor(bin)).major, 16);
});
