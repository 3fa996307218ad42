import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startSentryIngest, type SentryIngest } from './support/sentry-ingest.js';
import { dbUrl } from './support/test-db.js';

// Errors while the API starts (a configuration it refuses, a database it cannot migrate) reach
// Sentry when a DSN is set, not only stderr: that is when nobody is watching the terminal.

const ROOT = new URL('../../../', import.meta.url).pathname;

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}apps/api/src/bin/start-api.ts`], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

describe('start-up errors', () => {
  let ingest: SentryIngest;
  before(async () => {
    ingest = await startSentryIngest();
  });
  after(() => ingest.close());

  test('a refused configuration: stderr names the variable, exit 78, and Sentry gets a fatal start-up event', async () => {
    const seen = ingest.events().length;
    const r = await start({ SENTRY_DSN: ingest.dsn, APP_ENV: 'staging', PORT: 'eighty', DATABASE_URL: 'postgres://cc:hunter2-secret@127.0.0.1:5432/x' });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /PORT: /);
    const got = ingest.events().slice(seen);
    assert.equal(got.length, 1, 'one event');
    const event = got[0]!.event;
    assert.equal(event['level'], 'fatal');
    assert.equal((event['tags'] as Record<string, string>)['phase'], 'startup');
    assert.doesNotMatch(got[0]!.envelope.raw, /hunter2-secret/);
  });

  test('a database it cannot migrate: exit 1, reported with the cause', async () => {
    const seen = ingest.events().length;
    const r = await start({ SENTRY_DSN: ingest.dsn, DATABASE_URL: dbUrl('cc_t_does_not_exist_h17'), MIGRATE_ON_START: 'true', JWT_SECRET: 'x'.repeat(40) });
    assert.equal(r.code, 1, r.stderr);
    const got = ingest.events().slice(seen);
    assert.equal(got.length, 1, r.stderr);
    assert.match(JSON.stringify(got[0]!.event['exception']), /does not exist/);
  });

  test('without a DSN it is stderr only, and still exits', async () => {
    const seen = ingest.envelopes.length;
    const r = await start({ PORT: 'eighty' });
    assert.equal(r.code, 78);
    assert.equal(ingest.envelopes.length, seen);
  });
});
