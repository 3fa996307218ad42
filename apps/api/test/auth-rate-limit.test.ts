import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createTestApp, type TestApp } from './support/test-app.js';

// The same behaviour is required whichever store counts the failures: Redis, PostgreSQL when
// Redis is not configured, and PostgreSQL when Redis is configured but unreachable.
const MODES = {
  redis: { redis: true, env: {} },
  'no redis': { redis: false, env: {} },
  'redis unreachable': { redis: true, env: { REDIS_URL: 'redis://127.0.0.1:1' } },
} as const;

const LIMITS = { LOGIN_MAX_FAILURES_PER_NICKNAME: '3', LOGIN_MAX_FAILURES_PER_IP: '6', LOGIN_FAILURE_WINDOW_SECONDS: '600' };

function login(t: TestApp, nickname: string, password: string, ip: string) {
  return t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { nickname, password }, remoteAddress: ip });
}

function assertLimited(res: Awaited<ReturnType<typeof login>>, windowSeconds: number): number {
  assert.equal(res.statusCode, 429, res.body);
  assert.equal(res.json().error.code, 'rate_limited');
  const retry = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= windowSeconds, `Retry-After ${res.headers['retry-after']}`);
  return retry;
}

async function pgFailureRows(t: TestApp, key: string): Promise<number> {
  const r = await t.server.ctx.db.query('SELECT coalesce(sum(failures), 0)::int AS n FROM login_failures WHERE key = $1', [key]);
  return r.rows[0].n;
}

for (const [mode, opts] of Object.entries(MODES)) {
  describe(`login rate limiting (${mode})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ redis: opts.redis, env: { ...LIMITS, ...opts.env } });
    });
    after(() => t.close());

    test('too many failures for one nickname get 429 with Retry-After, from any IP, even with the right password', async () => {
      await t.signup({ nickname: 'victim', password: 'the-right-password' });
      for (let i = 0; i < 3; i++) assert.equal((await login(t, 'victim', 'wrong-password', '10.0.0.1')).statusCode, 401);
      assertLimited(await login(t, 'victim', 'the-right-password', '10.0.0.1'), 600);
      assertLimited(await login(t, 'VICTIM', 'the-right-password', '10.0.0.2'), 600);
      // Other nicknames from the same IP are unaffected (3 IP failures < 6).
      await t.signup({ nickname: 'bystander', password: 'the-right-password' });
      assert.equal((await login(t, 'bystander', 'the-right-password', '10.0.0.1')).statusCode, 200);
    });

    test('too many failures from one IP get 429 for every nickname from that IP only', async () => {
      await t.signup({ nickname: 'ip_user', password: 'the-right-password' });
      for (let i = 0; i < 6; i++) assert.equal((await login(t, `spray_${i}`, 'wrong-password', '10.0.1.1')).statusCode, 401);
      assertLimited(await login(t, 'ip_user', 'the-right-password', '10.0.1.1'), 600);
      assert.equal((await login(t, 'ip_user', 'the-right-password', '10.0.1.2')).statusCode, 200);
    });

    test('a successful login clears the nickname count', async () => {
      await t.signup({ nickname: 'forgetful', password: 'the-right-password' });
      const ip = '10.0.2.1';
      for (let round = 0; round < 2; round++) {
        assert.equal((await login(t, 'forgetful', 'wrong-password', ip)).statusCode, 401);
        assert.equal((await login(t, 'forgetful', 'wrong-password', ip)).statusCode, 401);
        assert.equal((await login(t, 'forgetful', 'the-right-password', ip)).statusCode, 200);
      }
    });

    test('a successful login does not clear the IP count', async () => {
      await t.signup({ nickname: 'sprayer', password: 'the-right-password' });
      const ip = '10.0.3.1';
      for (let i = 0; i < 5; i++) assert.equal((await login(t, `miss_${i}`, 'wrong-password', ip)).statusCode, 401);
      assert.equal((await login(t, 'sprayer', 'the-right-password', ip)).statusCode, 200);
      assert.equal((await login(t, 'miss_x', 'wrong-password', ip)).statusCode, 401);
      assertLimited(await login(t, 'sprayer', 'the-right-password', ip), 600);
    });

    test('failures are counted in the expected store', async () => {
      await login(t, 'store_probe', 'wrong-password', '10.0.4.1');
      const rows = await pgFailureRows(t, 'login_fail:nick:store_probe');
      if (mode === 'redis') {
        assert.equal(rows, 0);
        const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
        try {
          await r.connect();
          const key = `${t.server.ctx.config.REDIS_KEY_PREFIX}login_fail:nick:store_probe`;
          assert.equal(await r.get(key), '1');
          const ttl = await r.ttl(key);
          assert.ok(ttl > 0 && ttl <= 600, `ttl ${ttl}`);
        } finally {
          r.disconnect();
        }
      } else {
        assert.equal(rows, 1);
      }
    });

    test('Retry-After is honest: once it has passed, login works again', async () => {
      const short = await createTestApp({
        redis: opts.redis,
        env: { ...opts.env, LOGIN_MAX_FAILURES_PER_NICKNAME: '2', LOGIN_MAX_FAILURES_PER_IP: '100', LOGIN_FAILURE_WINDOW_SECONDS: '2' },
      });
      try {
        await short.signup({ nickname: 'patient', password: 'the-right-password' });
        let retry = 0;
        // A PostgreSQL window can close between the two failures; then the pair starts over.
        for (let attempt = 0; attempt < 3 && !retry; attempt++) {
          await login(short, 'patient', 'wrong-password', '10.0.5.1');
          await login(short, 'patient', 'wrong-password', '10.0.5.1');
          const res = await login(short, 'patient', 'the-right-password', '10.0.5.1');
          if (res.statusCode === 429) retry = assertLimited(res, 2);
        }
        assert.ok(retry > 0, 'never got limited');
        await new Promise((r) => setTimeout(r, retry * 1000 + 100));
        assert.equal((await login(short, 'patient', 'the-right-password', '10.0.5.1')).statusCode, 200);
      } finally {
        await short.close();
      }
    });
  });
}

describe('login rate limiting when Redis goes away mid-run', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: LIMITS });
  });
  after(() => t.close());

  test('login keeps working and failures are counted in PostgreSQL', async () => {
    await t.signup({ nickname: 'survivor', password: 'the-right-password' });
    assert.equal((await login(t, 'survivor', 'the-right-password', '10.0.6.1')).statusCode, 200);
    t.server.ctx.redis!.disconnect();
    for (let i = 0; i < 3; i++) assert.equal((await login(t, 'survivor', 'wrong-password', '10.0.6.1')).statusCode, 401);
    assert.equal(await pgFailureRows(t, 'login_fail:nick:survivor'), 3);
    assertLimited(await login(t, 'survivor', 'the-right-password', '10.0.6.1'), 600);
    await t.signup({ nickname: 'survivor2', password: 'the-right-password' });
    assert.equal((await login(t, 'survivor2', 'the-right-password', '10.0.6.9')).statusCode, 200);
  });
});
