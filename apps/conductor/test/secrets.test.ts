import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parseRollout, type PlanStep, type RolloutConfig } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { runGate } from '../src/gates/index.js';
import { ccPaths } from '../src/paths.js';
import { writeReports } from '../src/report/write.js';
import { resolveSecret } from '../src/secrets/index.js';
import { createRelease, openStorePool } from '../src/store/index.js';
import { CCR_BIN, run } from './artifacts-fixture.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { tinyRepo } from './fixtures/gates/tiny-repo.js';
import { runServices } from './support/run-services.js';
import { filesWith, storeRowsWith } from './support/leak-search.js';
import { scratchDatabase } from './support/scratch-db.js';
import '../src/steps/gates.js';

// Secrets from a secrets manager (issue 19): the `command` provider against a real store,
// Debian's `pass` with a throwaway GnuPG key made here, plus the env and file providers. A
// planted value is searched for on disk (CCR_HOME and the temp folder), in ccr's output, in
// every table of the store and in the release reports: it must appear nowhere.

const JWT = 'pass-planted-Q7wz0R4kLm2Vx9Ty5Bn8Hc3Jd6Fg1Sa'; // strong: 44 bytes, varied
const WEAK = 'changeme';
const DB_PASSWORD = 'file-planted-Pw-7g3k9q';
const dir = mkdtempSync(join(tmpdir(), 'ccr-secrets-'));
const gnupg = join(dir, 'gnupg');
const storeDir = join(dir, 'password-store');
const home = join(dir, 'ccr-home');
const repo = tinyRepo(join(dir, 'repo'));
const dbPasswordFile = join(dir, 'db-password');
let db: Awaited<ReturnType<typeof scratchDatabase>>;
let store: pg.Pool;

const secretsEnv = { GNUPGHOME: gnupg, PASSWORD_STORE_DIR: storeDir };

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...secretsEnv }, input, encoding: 'utf8' });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  mkdirSync(gnupg, { mode: 0o700 });
  // the command provider inherits this process's environment, as it would a shell's
  Object.assign(process.env, secretsEnv);
  sh(['gpg', '--batch', '--passphrase', '', '--quick-gen-key', 'ccr test <ccr-test@example.invalid>', 'default', 'default', 'never']);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(sh(['gpg', '--batch', '--with-colons', '--list-secret-keys']))![1]!;
  sh(['pass', 'init', fpr]);
  sh(['pass', 'insert', '--multiline', 'cc/prod/jwt'], `${JWT}\n`);
  sh(['pass', 'insert', '--multiline', 'cc/prod/weak'], `${WEAK}\n`);
  writeFileSync(dbPasswordFile, `${DB_PASSWORD}\n`, { mode: 0o600 });
  db = await scratchDatabase('ccr_secrets');
  store = await openStorePool(db.url);
});
after(async () => {
  await store?.end();
  await db?.drop();
  spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, ...secretsEnv } });
  rmSync(dir, { recursive: true, force: true });
});

function rollout(jwtEntry: string): string {
  return `version: 1
defaultEnvironment: production
secrets:
  jwt: { provider: command, argv: [pass, show, ${jwtEntry}], timeout: 30s, remoteRef: { key: cc/prod, property: jwt } }
  db-password: { provider: file, path: ${dbPasswordFile} }
environments:
  production:
    target: { type: local }
    appEnv: production
    databaseUrl: postgres://cc:strong-db-pw-91@db.internal:5432/cc
    redisUrl: redis://127.0.0.1:6379
    kafkaBroker: 127.0.0.1:9092
    secrets: [jwt, db-password]
    gates:
      settings: { JWT_SECRET: "secret:jwt", DB_PASSWORD: "secret:db-password" }
plan:
  - phase: pre-deployment
    steps:
      - { id: configuration, kind: automated, type: gate.config, title: Configuration }
`;
}



describe('secrets: providers', () => {
  test('command: `pass show` from a real password store; env; file', async () => {
    const config = parseRollout(rollout('cc/prod/jwt'), 'rollout.yaml');
    const jwt = await resolveSecret('jwt', config.secrets['jwt']!);
    assert.deepEqual({ ...jwt }, { name: 'jwt', provider: 'command', source: 'command pass show cc/prod/jwt', value: JWT });
    assert.equal((await resolveSecret('db-password', config.secrets['db-password']!)).value, DB_PASSWORD);
    assert.equal((await resolveSecret('x', { provider: 'env', variable: 'CCR_TEST_SECRET_X' }, { CCR_TEST_SECRET_X: 'from-env-1234' })).value, 'from-env-1234');
    await assert.rejects(resolveSecret('x', { provider: 'env', variable: 'CCR_TEST_SECRET_X' }, {}), /secret x: environment variable CCR_TEST_SECRET_X is not set/);
  });

  test('refusals: a group/world-readable file, a failing or slow command, a shell string, an undeclared secret', async () => {
    const open = join(dir, 'open-secret');
    writeFileSync(open, 'whatever-value\n');
    chmodSync(open, 0o644);
    await assert.rejects(resolveSecret('open', { provider: 'file', path: open }), /secret open: .*open-secret is open to its group or others \(mode 0644\); make it owner-only: chmod 600/);
    await assert.rejects(resolveSecret('gone', { provider: 'command', argv: ['pass', 'show', 'cc/nope'], timeout: 30_000 }), /secret gone: pass exited 1: .*not in the password store/);
    await assert.rejects(resolveSecret('slow', { provider: 'command', argv: ['sleep', '30'], timeout: 300 }), /secret slow: sleep did not answer within 300 ms/);
    assert.throws(() => parseRollout(rollout('cc/prod/jwt').replace('argv: [pass, show, cc/prod/jwt]', 'argv: ["pass show cc/prod/jwt"]'), 'rollout.yaml'), /secrets\.jwt\.argv: is a list of program and arguments, not a shell string/);
    assert.throws(() => parseRollout(rollout('cc/prod/jwt').replace('secrets: [jwt, db-password]', 'secrets: [jwt, db-pasword]'), 'rollout.yaml'),
      /environments\.production\.secrets\[1\]: "db-pasword" is not declared under secrets .*\[secrets-declared\]/);
    assert.throws(() => parseRollout(rollout('cc/prod/jwt').replace('secrets: [jwt, db-password]', 'secrets: [jwt]'), 'rollout.yaml'),
      /environments\.production\.gates\.settings\.DB_PASSWORD: uses secret:db-password, which environments\.production\.secrets does not list/);
  });
});

describe('secrets: the configuration gate', () => {
  const input = (config: RolloutConfig) => {
    const env = config.environments['production']!;
    return { ...gateInput({ repo }), envName: 'production', env, gates: env.gates, secrets: config.secrets };
  };

  test('resolves each secret, applies the production JWT rules to it, and names the provider, never the value', async () => {
    const good = await runGate('config', input(parseRollout(rollout('cc/prod/jwt'), 'rollout.yaml')));
    assert.equal(good.result, 'pass', good.summary);
    const jwtCheck = good.checks.find((c) => c.name === 'secret:jwt')!;
    assert.deepEqual(jwtCheck.evidence, { secret: 'jwt', provider: 'command', source: 'command pass show cc/prod/jwt' });
    assert.match(good.checks.find((c) => c.name === 'JWT_SECRET')!.detail, /set, 44 bytes/);
    assert.ok(!JSON.stringify(good).includes(JWT) && !JSON.stringify(good).includes(DB_PASSWORD));
    const weak = await runGate('config', input(parseRollout(rollout('cc/prod/weak'), 'rollout.yaml')));
    assert.equal(weak.result, 'fail');
    assert.match(weak.summary, /JWT_SECRET: must be at least 32 bytes long/);
    const missing = await runGate('config', input(parseRollout(rollout('cc/prod/none'), 'rollout.yaml')));
    assert.equal(missing.result, 'fail');
    assert.match(missing.summary, /secret:jwt: secret jwt: pass exited 1/);
  });

  test('ccr preflight and a release step with its report: the value is nowhere on disk, in the output, the store or the report', async () => {
    const file = join(dir, 'rollout.yaml');
    writeFileSync(file, rollout('cc/prod/jwt'));
    const r = await run('node', [CCR_BIN, 'preflight', 'v1.0.0-rc.1', '--only', 'config', '--json'], {
      env: { ...process.env, CCR_CONFIG: file, CCR_DATABASE_URL: db.url, CCR_PROJECT_ROOT: repo, CCR_HOME: home, CCR_ACTOR: 'rm@example' },
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout + r.stderr;
    assert.match(out, /command pass show cc\/prod\/jwt/);
    const config = parseRollout(readFileSync(file, 'utf8'), file);
    const release = await createRelease(store, { env: 'production', ref: 'v1.0.0-rc.1', strategy: 'blue-green', startedBy: 'test', phase: 'pre-deployment', previousVersion: null });
    const ctx = createContext({ store, config, envName: 'production', release, actor: 'rm@example', services: runServices(null, ccPaths(repo, home)) });
    const step = config.plan[0]!.steps[0] as Extract<PlanStep, { kind: 'automated' }>;
    const done = await stepImpl('gate.config').reconcile(ctx, step);
    assert.equal(done.status, 'done', done.reason);
    const reports = await writeReports(store, home, release.id);
    assert.match(readFileSync(reports.find((f) => f.endsWith('.md'))!, 'utf8'), /secret:jwt/);
    for (const planted of [JWT, DB_PASSWORD]) {
      assert.ok(!out.includes(planted), 'ccr printed a secret');
      assert.deepEqual(await storeRowsWith(store, planted), []);
      assert.deepEqual(filesWith(home, planted), []);
      // the temp folder holds the password store (encrypted) and the secret file itself
      assert.deepEqual(filesWith(dir, planted).filter((f) => f !== dbPasswordFile), []);
    }
  });
});
