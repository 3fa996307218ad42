// Pure helpers on the hot path: service by path, the cc_v cookie, latency quantiles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionStats } from '../src/metrics.js';
import { isApiPath, readVersionCookie } from '../src/paths.js';

test('api paths: /api, /health, /version and below; nothing that only starts alike; never /metrics', () => {
  for (const p of ['/api', '/api/', '/api/wallet?x=1', '/health', '/health/ready', '/version', '/api?x']) {
    assert.equal(isApiPath(p), true, p);
  }
  for (const p of ['/', '/apix', '/healthz', '/versions', '/metrics', '/metrics#a', '/metricsx', '/assets/api.js', '/play/api', '/a']) {
    assert.equal(isApiPath(p), false, p);
  }
});

test('cc_v is read from any position and not confused with similar names', () => {
  assert.equal(readVersionCookie('cc_v=v2'), 'v2');
  assert.equal(readVersionCookie('a=1; cc_v=v2; b=3'), 'v2');
  assert.equal(readVersionCookie('xcc_v=v9; cc_v=v3'), 'v3');
  assert.equal(readVersionCookie('xcc_v=v9'), undefined);
  assert.equal(readVersionCookie('cc_v='), undefined);
  assert.equal(readVersionCookie(undefined), undefined);
});

test('latency quantiles are interpolated inside histogram buckets', () => {
  const s = new VersionStats('api', 'v1');
  assert.equal(s.quantile(0.5), null);
  for (let i = 0; i < 90; i++) s.record(200, 0.0008); // (0.5 ms, 1 ms]
  for (let i = 0; i < 10; i++) s.record(503, 0.2); // (100 ms, 250 ms]
  assert.equal(s.total, 100);
  assert.equal(s.s5xx, 10);
  const p50 = s.quantile(0.5)!;
  assert.ok(p50 > 0.0005 && p50 <= 0.001, String(p50));
  const p99 = s.quantile(0.99)!;
  assert.ok(p99 > 0.1 && p99 <= 0.25, String(p99));
});
