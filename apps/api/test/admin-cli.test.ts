import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './support/test-app.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CODE_RE = /^CC-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

const bad: Array<[string, string[], string | undefined, RegExp]> = [
  ['no command', [], undefined, /Usage/],
  ['unknown command', ['make-coffee'], undefined, /unknown command "make-coffee"/],
  ['missing --count', ['create-invites'], undefined, /--count N is required/],
  ['--count 0', ['create-invites', '--count', '0'], undefined, /--count: must be an integer from 1 to 1000/],
  ['--count abc', ['create-invites', '--count', 'abc'], undefined, /--count: must be an integer/],
  ['--count 1001', ['create-invites', '--count', '1001'], undefined, /--count/],
  ['--max-uses -1', ['create-invites', '--count', '1', '--max-uses=-1'], undefined, /--max-uses/],
  ['--expires-in-days 0', ['create-invites', '--count', '1', '--expires-in-days', '0'], undefined, /--expires-in-days/],
  ['unknown option', ['create-invites', '--count', '1', '--colour'], undefined, /--colour/],
  ['missing --nickname', ['create-admin'], 'a-strong-admin-password\n', /--nickname NAME is required/],
  ['bad nickname', ['create-admin', '--nickname', 'no spaces'], 'a-strong-admin-password\n', /--nickname: may contain only/],
  ['short password', ['create-admin', '--nickname', 'short_pw'], 'short\n', /password \(stdin\): must be at least 10/],
  ['empty stdin', ['create-admin', '--nickname', 'empty_pw'], '', /password \(stdin\)/],
];
describe('admin CLI (npm run admin)', () => {
  let t: TestApp;
  // `node --import tsx` is what `npx tsx` runs, minus npx's start-up cost; one test below goes
  // through `npm run admin` itself, as the conductor does.
  const admin = (args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}) =>
    run(process.execPath, ['--import', 'tsx', 'apps/api/src/bin/admin.ts', ...args], { ...opts, env: { DATABASE_URL: t.db.url, ...opts.env } });
  const signup = (inviteCode: string, nickname: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { inviteCode, nickname, password: 'correct-horse-battery' } });

  // The refusals need no database work, so they all start at once instead of one by one.
  const refusals = new Map<string, Promise<Run>>();
  before(async () => {
    t = await createTestApp();
    for (const [name, args, stdin] of bad) refusals.set(name, admin(args, stdin === undefined ? {} : { stdin }));
  });
  after(() => t.close());

  test('create-invites prints N codes, one per line, that work for sign-up (via npx tsx)', async () => {
    const r = await run('npx', ['tsx', 'apps/api/src/bin/admin.ts', 'create-invites', '--count', '3'], { env: { DATABASE_URL: t.db.url } });
    assert.equal(r.code, 0, r.stderr);
    const codes = r.stdout.trim().split('\n');
    assert.equal(codes.length, 3);
    for (const c of codes) assert.match(c, CODE_RE);
    for (const [i, c] of codes.entries()) assert.equal((await signup(c, `cli_user_${i}`)).statusCode, 201);
    assert.equal((await signup(codes[0]!, 'cli_user_x')).statusCode, 403);
  });

  test('create-invites --max-uses --expires-in-days are stored', async () => {
    const r = await admin(['create-invites', '--count', '1', '--max-uses', '3', '--expires-in-days', '2']);
    assert.equal(r.code, 0, r.stderr);
    const row = (await t.server.ctx.db.query('SELECT max_uses, smoke, extract(epoch FROM expires_at - now())::int AS secs FROM invite_codes WHERE code = $1', [r.stdout.trim()])).rows[0];
    assert.equal(row.max_uses, 3);
    assert.equal(row.smoke, false);
    assert.ok(row.secs > 2 * 86400 - 120 && row.secs <= 2 * 86400, `expires in ${row.secs}s`);
  });

  test('the conductor’s call: `npm run admin -- create-invites --count 1 --smoke --json` ends with {"codes":[...]} of a smoke code', async () => {
    const r = await run('npm', ['run', 'admin', '--', 'create-invites', '--count', '1', '--smoke', '--json'], { env: { DATABASE_URL: t.db.url } });
    assert.equal(r.code, 0, r.stderr);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const parsed = JSON.parse(last);
    assert.deepEqual(Object.keys(parsed), ['codes']);
    assert.equal(parsed.codes.length, 1);
    const res = await signup(parsed.codes[0], 'cli_smoke');
    assert.equal(res.statusCode, 201);
    const row = (await t.server.ctx.db.query('SELECT synthetic FROM users WHERE id = $1', [res.json().user.id])).rows[0];
    assert.equal(row.synthetic, true);
  });

  test('create-admin reads the password from stdin; the admin can log in and create invites', async () => {
    const r = await admin(['create-admin', '--nickname', 'cli_admin', '--json'], { stdin: 'a-strong-admin-password\n' });
    assert.equal(r.code, 0, r.stderr);
    const { user } = JSON.parse(r.stdout);
    assert.equal(user.nickname, 'cli_admin');
    assert.equal(user.role, 'admin');
    assert.ok(!r.stdout.includes('a-strong-admin-password') && !r.stderr.includes('a-strong-admin-password'));

    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname: 'cli_admin', password: 'a-strong-admin-password' } });
    assert.equal(login.statusCode, 200, login.body);
    const inv = await t.app.inject({ method: 'POST', url: '/api/admin/invites', payload: { count: 2 }, headers: bearer(login.json().accessToken) });
    assert.equal(inv.statusCode, 201, inv.body);
    assert.equal(inv.json().codes.length, 2);
  });

  test('create-admin refuses a taken nickname (any case) with a clear message and exit 1', async () => {
    await t.signup({ nickname: 'ExistingUser' });
    const r = await admin(['create-admin', '--nickname', 'existinguser'], { stdin: 'a-strong-admin-password\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already taken/);
    const role = (await t.server.ctx.db.query("SELECT role FROM users WHERE nickname = 'ExistingUser'")).rows[0].role;
    assert.equal(role, 'player', 'an existing user is not promoted');
  });

  for (const [name, , , message] of bad) {
    test(`bad input: ${name} -> exit 64 with a clear message and nothing on stdout`, async () => {
      const r = await refusals.get(name)!;
      assert.equal(r.code, 64, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  test('no invites or users were created by the refused commands', async () => {
    const u = await t.server.ctx.db.query("SELECT count(*)::int AS n FROM users WHERE nickname IN ('short_pw', 'empty_pw')");
    assert.equal(u.rows[0].n, 0);
  });

  test('without DATABASE_URL it says so and exits non-zero', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'apps/api/src/bin/admin.ts', 'create-invites', '--count', '1'], { env: { DATABASE_URL: undefined, DATABASE_URL_FILE: undefined } });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /DATABASE_URL/);
  });

  test('--help explains the commands with an example and exits 0', async () => {
    const r = await admin(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /create-invites --count N/);
    assert.match(r.stdout, /create-admin --nickname NAME/);
    assert.match(r.stdout, /Example/);
  });
});
