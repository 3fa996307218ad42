import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seededAppDatabase } from './support/backup-seed.js';
import { scratchDatabase } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The commands end to end: rollout.yaml's local environment with DATABASE_URL pointing at a
// seeded database, the store in its own database (CCR_DATABASE_URL), .cc in a temp folder.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('ccr backup commands', () => {
  let app: Awaited<ReturnType<typeof seededAppDatabase>>;
  let storeDb: Awaited<ReturnType<typeof scratchDatabase>>;
  let env: NodeJS.ProcessEnv;
  const home = tempDir('ccr-home-');

  const ccr = (...args: string[]) =>
    new Promise<{ code: number; out: Record<string, unknown> }>((resolve) => {
      execFile(process.execPath, ['apps/conductor/bin/ccr.mjs', ...args, '--json'], { cwd: ROOT, env }, (err, stdout) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> });
      });
    });

  before(async () => {
    [app, storeDb] = await Promise.all([seededAppDatabase(1000), scratchDatabase('ccr_bkcli')]);
    env = { ...process.env, CCR_HOME: home, CCR_DATABASE_URL: storeDb.url, DATABASE_URL: app.url };
  });
  after(async () => {
    await storeDb?.drop();
    await app?.drop();
  });

  test('create --verify, list, then restore: refused without --yes (listing the rows at risk), done with it', async () => {
    const created = await ccr('backup', 'create', '--verify');
    assert.equal(created.code, 0, JSON.stringify(created.out));
    const b = created.out['backup'] as { id: string; status: string; path: string };
    assert.equal(b.status, 'verified');
    assert.ok(b.path.startsWith(join(home, 'backups', 'local')), b.path);
    assert.ok(existsSync(`${b.path}.sha256`));

    const list = await ccr('backup', 'list');
    assert.deepEqual((list.out['backups'] as Array<{ id: string }>).map((x) => x.id), [b.id]);

    const c = new pg.Client({ connectionString: app.url });
    await c.connect();
    await c.query(`INSERT INTO ledger_entries (user_id, kind, amount, balance_after) SELECT id, 'payout', 3, 1003 FROM users LIMIT 4`);
    await c.end();
    const refused = await ccr('backup', 'restore', b.id);
    assert.equal(refused.code, 64);
    const error = refused.out['error'] as { message: string; details: { atRisk: Array<{ table: string; rows: number }> } };
    assert.match(error.message, /REPLACES database .*add --yes to confirm/s);
    assert.deepEqual(error.details.atRisk, [{ table: 'public.ledger_entries', rows: 4, method: 'created_at' }]);

    const restored = await ccr('backup', 'restore', b.id, '--yes');
    assert.equal(restored.code, 0, JSON.stringify(restored.out));
    const c2 = new pg.Client({ connectionString: app.url });
    await c2.connect();
    const n = await c2.query('SELECT count(*)::int AS n FROM ledger_entries');
    await c2.end();
    assert.equal(n.rows[0].n, 1000);
  });
});
