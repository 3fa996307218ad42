import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startApi } from './support/api-process.js';
import { startSentryIngest, type SentryIngest } from './support/sentry-ingest.js';
import { TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-db.js';

// The real process with a real Sentry client: a fault outside any request (a timer, a promise
// nobody awaited) must reach Sentry before the process exits non-zero. The fault comes from a
// test-only preload that production never loads (support/crash-on-signal.ts).

const CRASH_HOOK = fileURLToPath(new URL('./support/crash-on-signal.ts', import.meta.url));
const DB_PASSWORD = 'hunter2-db-password';

describe('uncaught exceptions and unhandled rejections', () => {
  let db: TestDatabase;
  let ingest: SentryIngest;
  const children: ChildProcess[] = [];

  before(async () => {
    [db, ingest] = await Promise.all([createTestDatabase(), startSentryIngest()]);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await ingest.close();
    await db.drop();
  });

  const cases = [
    { kind: 'throw', origin: 'uncaughtException', message: /test crash: thrown from a timer/, log: 'uncaught exception; exiting' },
    { kind: 'reject', origin: 'unhandledRejection', message: /test crash: a promise nobody awaited/, log: 'unhandled promise rejection; exiting' },
  ] as const;

  for (const c of cases) {
    test(`${c.origin}: logged, reported to Sentry without secrets, then exit 1`, async () => {
      const api = await startApi(
        { DATABASE_URL: db.url, SENTRY_DSN: ingest.dsn, APP_ENV: 'staging', APP_VERSION: '3.1.4', CC_TEST_CRASH: c.kind, CC_TEST_CRASH_SECRET: DB_PASSWORD },
        { preload: [CRASH_HOOK] },
      );
      children.push(api.child);
      const seen = ingest.events().length;
      assert.equal((await fetch(`${api.url}/health/live`)).status, 200);

      const signalledAt = Date.now();
      api.child.kill('SIGUSR2');
      const exit = await Promise.race([api.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 10 s:\n${api.stderr()}`)), 10_000))]);
      assert.equal(exit.code, 1, `exit ${exit.code} ${exit.signal}: ${api.stderr()}`);
      assert.ok(exit.at - signalledAt < 5000, `exited ${exit.at - signalledAt} ms after the fault: the flush is bounded`);

      // The report was flushed before the exit, so it is here already.
      const got = ingest.events().slice(seen);
      assert.equal(got.length, 1, `one event expected, got ${got.length}`);
      const { envelope, event } = got[0]!;
      assert.equal(event['level'], 'fatal');
      assert.equal(event['environment'], 'staging');
      assert.equal(event['release'], '3.1.4');
      assert.equal((event['tags'] as Record<string, string>)['mechanism'], c.origin);
      const exception = (event['exception'] as { values: Array<{ value: string; mechanism?: { handled?: boolean; type?: string } }> }).values.at(-1)!;
      assert.match(exception.value, c.message);
      assert.equal(exception.mechanism?.handled, false);
      for (const secret of [DB_PASSWORD, TEST_JWT_SECRET]) assert.ok(!envelope.raw.includes(secret), `the envelope must not contain ${secret.slice(0, 6)}...`);

      const fatal = api.logs.find((l) => l['msg'] === c.log);
      assert.ok(fatal, JSON.stringify(api.logs.slice(-5)));
      assert.equal(fatal['level'], 60);
      assert.match(String((fatal['err'] as { message: string }).message), c.message);
      assert.ok(!JSON.stringify(api.logs).includes(DB_PASSWORD), 'the log must not contain the password either');
    });
  }

  test('a Sentry that never answers cannot hold the exit: the flush is bounded', async () => {
    // Accepts envelopes and never responds, like an ingest stuck behind a dead proxy.
    const stuck = createServer(() => undefined);
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    const port = (stuck.address() as { port: number }).port;
    try {
      const api = await startApi({ DATABASE_URL: db.url, SENTRY_DSN: `http://publickey@127.0.0.1:${port}/1` }, { preload: [CRASH_HOOK] });
      children.push(api.child);
      const signalledAt = Date.now();
      api.child.kill('SIGUSR2');
      const exit = await Promise.race([api.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 15 s')), 15_000))]);
      const took = exit.at - signalledAt;
      assert.equal(exit.code, 1);
      // 2 s of flush plus process start-up slack for a loaded machine.
      assert.ok(took >= 1500 && took < 6000, `exited ${took} ms after the fault`);
      assert.ok(api.logs.some((l) => l['msg'] === 'uncaught exception; exiting'));
    } finally {
      stuck.closeAllConnections();
      await new Promise<void>((r) => stuck.close(() => r()));
    }
  });
});
