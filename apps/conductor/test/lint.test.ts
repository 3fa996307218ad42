import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Migrator } from '@cc/pg-migrate';
import { lintMigrations, type LintOptions } from '../src/schema/lint.js';
import { scratchDatabase } from './support/scratch-db.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

const BASE = `CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n`;
const TIMEOUTS = { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 };

function migrationsDir(files: Record<string, string>): string {
  const dir = tempDir('ccr-lint-');
  writeFileSync(join(dir, '0001_base.up.sql'), BASE);
  writeFileSync(join(dir, '0001_base.down.sql'), 'DROP TABLE accounts;\n');
  for (const [name, sql] of Object.entries(files)) {
    writeFileSync(join(dir, `${name}.up.sql`), sql);
    writeFileSync(join(dir, `${name}.down.sql`), '-- cc:irreversible\n');
  }
  return dir;
}

const lint = (dir: string, extra: Partial<LintOptions> = {}) => lintMigrations({ dir, databaseUrl: null, ...TIMEOUTS, ...extra });

describe('migration lint (squawk)', () => {
  const cases = [
    { name: '0002_drop_email', sql: 'ALTER TABLE accounts DROP COLUMN email;\n', rule: 'ban-drop-column', hazard: 'destructive', rollForwardOnly: true },
    { name: '0002_email_index', sql: 'CREATE INDEX accounts_email_idx ON accounts (email);\n', rule: 'require-concurrent-index-creation', hazard: 'non-concurrent-index', rollForwardOnly: false },
    { name: '0002_required_field', sql: 'ALTER TABLE accounts ADD COLUMN tier text NOT NULL;\n', rule: 'adding-required-field', hazard: 'destructive', rollForwardOnly: true },
  ];
  for (const c of cases) {
    test(`catches ${c.rule} (${c.hazard}); the acknowledged version passes${c.rollForwardOnly ? ' and is roll-forward-only' : ''}`, async () => {
      const bad = await lint(migrationsDir({ [c.name]: c.sql }));
      assert.equal(bad.ok, false);
      const hit = bad.hazards.find((h) => h.rule === c.rule);
      assert.ok(hit, `expected ${c.rule} in ${JSON.stringify(bad.hazards)}`);
      assert.equal(hit.hazard, c.hazard);
      assert.equal(hit.migration, c.name);
      assert.equal(hit.line, 1);
      assert.equal(bad.rollForwardOnly, false);

      const reason = 'reviewed: the running version no longer depends on this';
      // Acknowledged by rule name, then by hazard class: both work.
      for (const ackName of [c.rule, c.hazard]) {
        const good = await lint(migrationsDir({ [c.name]: `-- ccr:ack ${ackName} ${reason}\n${c.sql}` }));
        assert.equal(good.ok, true, JSON.stringify(good.hazards));
        assert.deepEqual(good.acknowledgements, [{ version: 2, migration: c.name, rule: ackName, hazard: c.hazard, reason }]);
        assert.equal(good.rollForwardOnly, c.rollForwardOnly);
        assert.ok(good.acknowledged.some((f) => f.rule === c.rule && f.acknowledged === reason));
      }
    });
  }

  test('locks and rewrites squawk misses are hazards: explicit LOCK TABLE, VACUUM FULL, CLUSTER, SET LOGGED, REFRESH, TRUNCATE, REINDEX', async () => {
    const dir = migrationsDir({
      '0002_locks': [
        '-- the plays table is locked for the whole transaction',
        'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;',
        'LOCK accounts;',
        "UPDATE accounts SET email = 'x;y' WHERE id = 1; /* a ; in a comment */",
        'VACUUM (FULL, ANALYZE) accounts;',
        'CLUSTER accounts USING accounts_pkey;',
        'ALTER TABLE accounts SET UNLOGGED;',
        'CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM accounts;',
        'REFRESH MATERIALIZED VIEW totals;',
        'REFRESH MATERIALIZED VIEW CONCURRENTLY totals;',
        'TRUNCATE accounts;',
        'REINDEX TABLE accounts;',
        "DO $$ BEGIN PERFORM 1; END $$; -- LOCK TABLE accounts; inside a comment",
      ].join('\n') + '\n',
    });
    const r = await lint(dir);
    assert.equal(r.ok, false);
    const hits = r.hazards.map((h) => [h.line, h.rule, h.hazard]);
    assert.deepEqual(hits.filter(([, rule]) => String(rule).startsWith('ccr-') || rule === 'require-concurrent-reindex').sort((a, b) => Number(a[0]) - Number(b[0])), [
      [2, 'ccr-explicit-lock', 'long-lock'],
      [3, 'ccr-explicit-lock', 'long-lock'],
      [5, 'ccr-table-rewrite', 'table-rewrite'],
      [6, 'ccr-table-rewrite', 'table-rewrite'],
      [7, 'ccr-table-rewrite', 'table-rewrite'],
      [9, 'ccr-refresh-materialized-view', 'long-lock'],
      [11, 'ccr-truncate', 'destructive'],
      [12, 'require-concurrent-reindex', 'non-concurrent-index'],
    ]);
    assert.match(r.hazards.find((h) => h.line === 3)!.message, /LOCK accounts IN ACCESS EXCLUSIVE MODE is held until the migration's transaction commits/);

    // the case: one explicit lock on an existing table; acknowledged, it passes
    const lock = 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\nUPDATE accounts SET email = lower(email);\n';
    const bad = await lint(migrationsDir({ '0002_lowercase': lock }));
    assert.deepEqual(bad.hazards.map((h) => [h.rule, h.hazard, h.line]), [['ccr-explicit-lock', 'long-lock', 1]]);
    const good = await lint(migrationsDir({ '0002_lowercase': `-- ccr:ack ccr-explicit-lock the table has 40 rows; the lock lasts milliseconds\n${lock}` }));
    assert.equal(good.ok, true, JSON.stringify(good.hazards));
    assert.equal(good.rollForwardOnly, false);
  });

  test('an acknowledgement without a reason, or of another rule, does not pass', async () => {
    const noReason = await lint(migrationsDir({ '0002_drop_email': '-- ccr:ack ban-drop-column\nALTER TABLE accounts DROP COLUMN email;\n' }));
    assert.equal(noReason.ok, false);
    assert.match(noReason.invalidAcks[0]?.message ?? '', /give a reason/);
    const wrongRule = await lint(migrationsDir({ '0002_drop_email': '-- ccr:ack ban-drop-table the table is unused since v2\nALTER TABLE accounts DROP COLUMN email;\n' }));
    assert.equal(wrongRule.ok, false);
    assert.deepEqual(wrongRule.hazards.map((h) => h.rule), ['ban-drop-column']);
  });

  test('missing timeouts are a hazard unless the runner sets them', async () => {
    const dir = migrationsDir({ '0002_fk': 'ALTER TABLE accounts ADD COLUMN parent bigint;\n' });
    const withRunner = await lint(dir);
    assert.equal(withRunner.ok, true, JSON.stringify(withRunner.hazards));
    assert.ok(withRunner.satisfied.some((f) => f.rule === 'require-lock-timeout' && /lock_timeout=5000ms/.test(f.satisfiedBy ?? '')));
    const without = await lint(dir, { lockTimeoutMs: 0 });
    assert.equal(without.ok, false);
    assert.ok(without.hazards.some((h) => h.hazard === 'missing-timeout' && h.rule === 'require-lock-timeout'));
  });

  describe('pending migrations only, and the CLI', () => {
    let db: Awaited<ReturnType<typeof scratchDatabase>>;
    let dir: string;
    before(async () => {
      db = await scratchDatabase('ccr_lint');
      dir = migrationsDir({ '0002_drop_email': 'ALTER TABLE accounts DROP COLUMN email;\n' });
      await new Migrator({ databaseUrl: db.url, dir }).up(1);
    });
    after(async () => db?.drop());

    test('migrations already applied to the database are not linted', async () => {
      const r = await lint(dir, { databaseUrl: db.url });
      assert.deepEqual(r.linted, [{ version: 2, migration: '0002_drop_email' }]);
      assert.equal(r.hazards.length, 1);
    });

    test('ccr migrate lint --json fails with the hazard and says how to acknowledge it', async () => {
      const root = fileURLToPath(new URL('../../..', import.meta.url));
      const r = await promisify(execFile)(process.execPath, ['apps/conductor/bin/ccr.mjs', 'migrate', 'lint', '--dir', dir, '--database-url', db.url, '--json'], { cwd: root, env: { ...process.env, CCR_HOME: tempDir('ccr-home-') } }).then(
        () => assert.fail('expected a non-zero exit'),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(r.code, 2);
      const out = JSON.parse(r.stdout) as { ok: boolean; hazards: Array<{ rule: string }>; problems: string[] };
      assert.equal(out.ok, false);
      assert.deepEqual(out.hazards.map((h) => h.rule), ['ban-drop-column']);
      assert.match(out.problems[0] ?? '', /-- ccr:ack ban-drop-column <reason>/);
    });
  });
});
