import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessTokens } from '../src/auth/access-token.js';

// The access-token verification cache was added to make plays cheaper (see bench:api); these
// checks pin down that it never accepts what jose would refuse.
describe('access token verification cache', () => {
  const claims = { sub: '5d0c1d2e-0000-4000-8000-000000000001', nickname: 'cache_user', role: 'player' as const, synthetic: false, sid: '5d0c1d2e-0000-4000-8000-0000000000aa' };

  test('a verified token is served from the cache until it expires, then refused', async () => {
    const tokens = new AccessTokens('cache-test-secret-0123456789abcdefghijklmnop', 1);
    const token = await tokens.sign(claims);
    const first = await tokens.verify(token);
    const { jti, ...rest } = first;
    assert.deepEqual(rest, claims);
    assert.ok(jti.length >= 16, 'every token has its own id');
    assert.equal(await tokens.verify(token), first, 'second verification is the cached result');
    assert.ok(Object.isFrozen(first));
    await new Promise((r) => setTimeout(r, 2100));
    await assert.rejects(tokens.verify(token), (err: { code?: string }) => err.code === 'token_expired');
  });

  test('a tampered token or another secret is still refused after the genuine one was cached', async () => {
    const tokens = new AccessTokens('cache-test-secret-0123456789abcdefghijklmnop', 60);
    const token = await tokens.sign(claims);
    await tokens.verify(token);
    const [h, p, s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' })).toString('base64url')}.${s}`;
    await assert.rejects(tokens.verify(forged), (err: { code?: string }) => err.code === 'unauthorized');
    const other = new AccessTokens('another-secret-0123456789abcdefghijklmnopqrs', 60);
    await assert.rejects(other.verify(token), (err: { code?: string }) => err.code === 'unauthorized');
  });
});
