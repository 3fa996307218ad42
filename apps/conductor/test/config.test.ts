import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isHostnameOrIp, parseRollout } from '../src/config/index.js';

// rollout.yaml boundary checks that guard what ccr later sends to other programs.

function haproxyYaml(hosts: string): string {
  return `
version: 1
defaultEnvironment: staging
environments:
  staging:
    target:
      type: haproxy
      runtimeApi: /run/haproxy/cc-admin.sock
      publicUrl: https://cc.example.com
      backend: { api: cc_api, web: cc_web }
      hosts: ${hosts}
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
`;
}

describe('config: haproxy host addresses', () => {
  test('hostnames, IPv4 and IPv6 addresses are accepted', () => {
    const cfg = parseRollout(haproxyYaml('[{ name: app1, address: app-1.internal.example.com }, { name: app2, address: 10.0.0.12 }, { name: app3, address: "::1" }]'), 'rollout.yaml');
    const t = cfg.environments['staging']!.target;
    assert.equal(t.type, 'haproxy');
    if (t.type === 'haproxy') assert.deepEqual(t.hosts.map((h) => h.address), ['app-1.internal.example.com', '10.0.0.12', '::1']);
  });

  test('an address that would inject a Runtime API command is refused with its path', () => {
    for (const bad of ['"10.0.0.1;shutdown sessions"', '"app1 weight 0"', '"10.0.0.1:8080"', '"999.1.1.1"', '"-app"', '""', '"a..b"', '"app\\nshow info"']) {
      assert.throws(
        () => parseRollout(haproxyYaml(`[{ name: app1, address: 10.0.0.11 }, { name: app2, address: ${bad} }]`), 'rollout.yaml'),
        (err: Error & { code?: string }) => err.code === 'config_invalid'
          && /environments\.staging\.target\.hosts\[1\]\.address: must be a hostname .* or an IPv4\/IPv6 address/.test(err.message),
        `address ${bad} must be refused`,
      );
    }
  });

  test('a host name that is not a plain id is refused with its path', () => {
    assert.throws(
      () => parseRollout(haproxyYaml('[{ name: "app1;disable server cc_api/x", address: 10.0.0.11 }]'), 'rollout.yaml'),
      /environments\.staging\.target\.hosts\[0\]\.name: must be lower-case letters, digits and dashes/,
    );
  });

  test('isHostnameOrIp', () => {
    assert.ok(isHostnameOrIp('localhost'));
    assert.ok(isHostnameOrIp('fe80::1'));
    assert.ok(!isHostnameOrIp(`${'a'.repeat(64)}.example.com`));
    assert.ok(!isHostnameOrIp('app_1'));
  });
});
