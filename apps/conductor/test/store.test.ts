import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { CcrError } from '../src/errors.js';
import {
  EnvLock, audit, createRelease, forceReleaseLock, inFlightRelease, listAudit, lockStatus, openStorePool, saveStep, getSteps, updateRelease,
} from '../src/store/index.js';
import { Migrator } from '@cc/pg-migrate';
import { STORE_MIGRATIONS_DIR } from '../src/store/connect.js';
import { scratchDatabase, urlFor } from './support/scratch-db.js';

describe('ccr store', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  before(async () => {
    db = await scratchDatabase();
    pool = await openStorePool(db.url);
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  test('a second lock on the same environment fails fast and names the holder', async () => {
    const first = await EnvLock.acquire(db.url, { env: 'e1', owner: 'alice@ci', releaseId: 'r-1', leaseMs: 5000 });
    try {
      await assert.rejects(EnvLock.acquire(db.url, { env: 'e1', owner: 'bob@laptop', leaseMs: 5000 }), (err: unknown) => {
        assert.ok(err instanceof CcrError);
        assert.equal(err.code, 'lock_held');
        assert.match(err.message, /alice@ci/);
        assert.match(err.message, /release r-1/);
        return true;
      });
      // Another environment is independent.
      const other = await EnvLock.acquire(db.url, { env: 'e2', owner: 'bob@laptop', leaseMs: 5000 });
      await other.release();
      assert.equal((await lockStatus(pool, 'e1'))?.state, 'held');
    } finally {
      await first.release();
    }
    assert.equal(await lockStatus(pool, 'e1'), null);
  });

  test('a holder that died (session gone) leaves a stale lease that the next deploy takes over, audited', async () => {
    const dead = await EnvLock.acquire(db.url, { env: 'e3', owner: 'crashed@host', leaseMs: 5000 });
    const info = await lockStatus(pool, 'e3');
    // Simulate kill -9 of the holder: its database session ends.
    await pool.query('SELECT pg_terminate_backend(backend_pid) FROM env_locks WHERE env = $1', ['e3']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await lockStatus(pool, 'e3'))?.state, 'stale');
    const next = await EnvLock.acquire(db.url, { env: 'e3', owner: 'next@host', leaseMs: 5000 });
    const entries = await listAudit(pool, { env: 'e3' });
    assert.ok(entries.some((e) => e.action === 'lock.takeover' && (e.details['previousHolder'] as { owner: string }).owner === info?.owner));
    await next.release();
    await dead.release().catch(() => undefined);
  });

  test('lock release --force ends the holder session and is audited', async () => {
    const held = await EnvLock.acquire(db.url, { env: 'e4', owner: 'stuck@host', leaseMs: 5000 });
    const broken = await forceReleaseLock(pool, 'e4', 'ops@host', 'holder hung');
    assert.equal(broken?.owner, 'stuck@host');
    const again = await EnvLock.acquire(db.url, { env: 'e4', owner: 'ops@host', leaseMs: 5000 });
    await again.release();
    const entries = await listAudit(pool, { env: 'e4' });
    assert.ok(entries.some((e) => e.action === 'lock.force-release' && e.actor === 'ops@host'));
    await held.release().catch(() => undefined);
  });

  test('the audit log is append-only', async () => {
    await audit(pool, { actor: 'a', env: 'e5', action: 'x', result: 'ok' });
    await assert.rejects(pool.query("UPDATE audit_log SET result = 'changed'"), /append-only/);
    await assert.rejects(pool.query('DELETE FROM audit_log'), /append-only/);
  });

  test('only one release can be in flight per environment', async () => {
    const r1 = await createRelease(pool, { env: 'e6', ref: 'v1', strategy: 'canary', startedBy: 'a', phase: 'pre-deployment', previousVersion: null });
    await assert.rejects(
      createRelease(pool, { env: 'e6', ref: 'v2', strategy: 'canary', startedBy: 'b', phase: 'pre-deployment', previousVersion: null }),
      /releases_one_in_flight/,
    );
    assert.equal((await inFlightRelease(pool, 'e6'))?.id, r1.id);
    const done = await updateRelease(pool, r1.id, { state: 'promoted', reason: 'all steps done' });
    assert.ok(done.finishedAt);
    assert.equal(await inFlightRelease(pool, 'e6'), null);
  });

  test('step records keep attempts and merge their data', async () => {
    const r = await createRelease(pool, { env: 'e7', ref: 'v1', strategy: 'rolling', startedBy: 'a', phase: 'deployment', previousVersion: null });
    await saveStep(pool, { releaseId: r.id, stepId: 's', phase: 'deployment', kind: 'automated', type: 'smoke', status: 'running', reason: '', attempt: true, data: { a: 1 } });
    await saveStep(pool, { releaseId: r.id, stepId: 's', phase: 'deployment', kind: 'automated', type: 'smoke', status: 'done', reason: 'ok', attempt: true, data: { b: 2 } });
    const [s] = await getSteps(pool, r.id);
    assert.equal(s?.attempts, 2);
    assert.deepEqual(s?.data, { a: 1, b: 2 });
    assert.ok(s?.finishedAt);
  });

  test('the store is created and migrated on first use; a current store is opened without migrating; drift is refused', async () => {
    const url = urlFor(`ccr_t_new_${process.pid}_${Date.now()}`);
    const migrator = new Migrator({ databaseUrl: url, dir: STORE_MIGRATIONS_DIR });
    const fresh = await openStorePool(url); // the database did not exist
    try {
      assert.equal(await migrator.isCurrent(fresh), true);
      const applied = (await fresh.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n;
      assert.equal(applied, migrator.files().length);
      // A recorded checksum that no longer matches a file is not "current": the locked path
      // runs and refuses the drift instead of opening the store.
      await fresh.query("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1");
      assert.equal(await migrator.isCurrent(fresh), false);
      await assert.rejects(openStorePool(url), /0001/);
      await fresh.query('DELETE FROM schema_migrations WHERE version = 1');
      assert.equal(await migrator.isCurrent(fresh), false, 'a missing row is pending work');
    } finally {
      await fresh.end();
      const admin = new pg.Client({ connectionString: urlFor('postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
      await admin.end();
    }
  });
});
