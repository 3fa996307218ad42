import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

const STRONG = 'k9F2mQ7xL4vR8tW1zB6nC3pH5jY0sD2gA7eU';
const prod = {
  APP_ENV: 'production',
  DATABASE_URL: 'postgres://cc:Xq83hs7Kd92LmZ@db.internal:5432/cc',
  REDIS_URL: 'redis://cache.internal:6379',
  KAFKA_BROKER: 'kafka-1.internal:9092,kafka-2.internal:9092',
  JWT_SECRET: STRONG,
};

function issues(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues;
  }
  return [];
}

describe('configuration', () => {
  test('development starts with defaults', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.APP_ENV, 'development');
    assert.equal(cfg.PORT, 3000);
    assert.equal(cfg.KAFKA_TOPIC, 'topic_user_actions');
  });

  test('a valid production configuration loads', () => {
    assert.deepEqual(issues(prod), []);
  });

  test('production refuses missing required settings, naming each', () => {
    const found = issues({ APP_ENV: 'production' });
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKER', 'JWT_SECRET']) {
      assert.ok(found.some((i) => i.startsWith(`${name}: is required`)), `${name} reported in ${found.join('; ')}`);
    }
  });

  test('production refuses short, default and development JWT secrets', () => {
    assert.match(issues({ ...prod, JWT_SECRET: 'short-secret' }).join(), /JWT_SECRET: must be at least 32 bytes/);
    assert.match(issues({ ...prod, JWT_SECRET: 'dev-only-insecure-jwt-secret-do-not-use-in-production' }).join(), /JWT_SECRET: is a known default/);
    assert.match(issues({ ...prod, JWT_SECRET: 'your-super-secret-jwt-key-change-in-production' }).join(), /JWT_SECRET/);
    assert.match(issues({ ...prod, JWT_SECRET: 'a'.repeat(40) }).join(), /JWT_SECRET: has too little variety/);
  });

  test('the migration CLI needs only the database in production, and still refuses a weak password', () => {
    const only = { APP_ENV: 'production', DATABASE_URL: prod.DATABASE_URL };
    assert.equal(loadConfig(only, { requiredInProduction: ['DATABASE_URL'] }).DATABASE_URL, prod.DATABASE_URL);
    assert.throws(() => loadConfig(only), /REDIS_URL: is required/);
    assert.throws(() => loadConfig({ APP_ENV: 'production' }, { requiredInProduction: ['DATABASE_URL'] }), /DATABASE_URL: is required/);
    assert.throws(() => loadConfig({ ...only, DATABASE_URL: 'postgres://cc:postgres@db:5432/cc' }, { requiredInProduction: ['DATABASE_URL'] }), /DATABASE_URL: carries a default password/);
  });

  test('production refuses a database URL with a default password', () => {
    assert.match(issues({ ...prod, DATABASE_URL: 'postgres://postgres:postgres@db:5432/cc' }).join(), /DATABASE_URL: carries a default password/);
    assert.match(issues({ ...prod, DATABASE_URL: 'postgres://cc:password@db:5432/cc' }).join(), /DATABASE_URL: carries a default password/);
    assert.match(issues({ ...prod, DATABASE_URL: 'postgres://cc@db:5432/cc' }).join(), /DATABASE_URL: has no password/);
  });

  test('shape errors name the variable and what is wrong', () => {
    assert.match(issues({ PORT: 'eighty' }).join(), /^PORT: /);
    assert.match(issues({ APP_ENV: 'prod' }).join(), /APP_ENV: /);
    assert.match(issues({ DATABASE_URL: 'mysql://x' }).join(), /DATABASE_URL: must be a URL starting with postgres:\/\//);
    assert.match(issues({ KAFKA_BROKER: 'not a broker' }).join(), /KAFKA_BROKER: must be host:port/);
  });

  test('secrets can come from NAME_FILE, and both at once is an error', () => {
    const dir = tempDir('cc-cfg-');
    const file = join(dir, 'jwt');
    writeFileSync(file, `${STRONG}\n`);
    const { JWT_SECRET: _omit, ...rest } = prod;
    assert.equal(loadConfig({ ...rest, JWT_SECRET_FILE: file }).JWT_SECRET, STRONG);
    assert.match(issues({ ...prod, JWT_SECRET_FILE: file }).join(), /JWT_SECRET: set both/);
    assert.match(issues({ ...rest, JWT_SECRET_FILE: join(dir, 'missing') }).join(), /JWT_SECRET_FILE: cannot read .*ENOENT/);
  });

  test('the error message never contains the secret value', () => {
    const weak = 'changeme';
    const msg = issues({ ...prod, JWT_SECRET: weak, DATABASE_URL: 'postgres://cc:postgres@db/cc' }).join('\n');
    assert.ok(!msg.includes(`=${weak}`) && !msg.includes(':postgres@'));
  });
});
