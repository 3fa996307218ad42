import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../src/supervisor/health.js';
import { ccr } from './artifacts-fixture.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// Commands run while the local environment is stopped say what `ccr status` says, and a
// checkout the `postgres` user cannot reach gets one sentence instead of initdb's EACCES.

const ROLLOUT = `
version: 1
defaultEnvironment: local
environments:
  local:
    target: { type: local, instances: 1 }
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
`;

describe('the local environment is stopped', () => {
  let root: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    root = tempDir('ccr-stopped-');
    home = join(root, 'home');
    mkdirSync(join(home, 'runtime'), { recursive: true });
    // What a stopped runtime leaves: the database URL it ran with (nothing listens there now).
    writeFileSync(join(home, 'runtime/database-url'), `postgres://postgres:secret@127.0.0.1:${await freePort()}/cc\n`);
    writeFileSync(join(home, 'runtime/active-version'), 'v7\n');
    writeFileSync(join(root, 'rollout.yaml'), ROLLOUT);
    env = { DATABASE_URL: '', CCR_DATABASE_URL: '', CCR_CONFIG: join(root, 'rollout.yaml') };
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  test('ccr rollback and ccr history answer what ccr status says, not ECONNREFUSED', async () => {
    const status = await ccr(['status'], { repo: root, home, env });
    const said = status.stdout.split('\n')[0]!;
    assert.equal(said, 'environment local: not running (active release v7); start it with `npx ccr up`');
    for (const args of [['rollback', '--json'], ['history', '--json'], ['audit', '--json']]) {
      const r = await ccr(args, { repo: root, home, env });
      assert.notEqual(r.code, 0, args.join(' '));
      const error = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
      assert.deepEqual(error, { code: 'not_found', message: said, details: { running: false } }, args.join(' '));
    }
    const human = await ccr(['rollback'], { repo: root, home, env });
    assert.equal(human.stderr.trim(), `ccr: ${said} [not_found]`);
    assert.doesNotMatch(human.stderr, /ECONNREFUSED|54329/);
  });
});

describe('ccr up in a checkout the postgres user cannot reach', () => {
  const asRoot = process.getuid?.() === 0;

  test('names the folder and the fix in one sentence, before initdb runs', { skip: asRoot ? false : 'only root hands PostgreSQL to the `postgres` user' }, async () => {
    const locked = tempDir('ccr-0700-'); // mode 0700, owned by root
    try {
      assert.equal(statSync(locked).mode & 0o777, 0o700);
      const home = join(locked, 'checkout/.cc');
      writeFileSync(join(locked, 'rollout.yaml'), ROLLOUT);
      const r = await ccr(['up', '--port', '0', '--json'], { repo: locked, home, env: { DATABASE_URL: '', CCR_DATABASE_URL: '', CCR_CONFIG: join(locked, 'rollout.yaml') } });
      assert.notEqual(r.code, 0);
      const error = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'config_invalid');
      assert.equal(
        error.message,
        `the embedded PostgreSQL runs as the \`postgres\` user, which cannot enter ${locked} (mode 0700) on the way to ${join(home, 'pg')}: make it traversable (\`chmod o+x ${locked}\`), or set DATABASE_URL to a PostgreSQL server of your own`,
      );
      assert.doesNotMatch(r.stdout + r.stderr, /EACCES|\n\s+at /);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });
});
