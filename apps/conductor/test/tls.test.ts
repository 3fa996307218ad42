import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGate } from '../src/gates/index.js';
import { checkDns, checkTls } from '../src/gates/networking.js';
import { gateInput } from './fixtures/gates/gate-input.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The networking gate against a real HTTPS server on 127.0.0.1 with certificates made by
// openssl here: a CA and a leaf for localhost (valid chain), an expired leaf (openssl ca with
// explicit dates), a leaf for another host, a leaf expiring too soon, and a self-signed one.

const dir = tempDir('ccr-tls-');
const p = (f: string) => join(dir, f);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function leafCsr(name: string, host: string): void {
  openssl('req', '-new', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`);
}
function signLeaf(name: string, days: number): void {
  writeFileSync(p(`${name}.ext`), 'subjectAltName=DNS:localhost\n');
  openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-set_serial', String(Date.now() % 1e9), '-days', String(days), '-out', p(`${name}.crt`), '-extfile', p(`${name}.ext`));
}

let server: Server;
let port = 0;
const use = (name: string) => server.setSecureContext({ key: readFileSync(p(`${name}.key`)), cert: readFileSync(p(`${name}.crt`)) });
const now = () => new Date();
const tls = (o: { ca?: boolean; minDaysValid?: number; host?: string } = {}) => checkTls({
  host: o.host ?? 'localhost', port: 443, connectHost: '127.0.0.1', connectPort: port, minDaysValid: o.minDaysValid ?? 14, timeoutMs: 5000, now: now(),
  ...(o.ca === false ? {} : { ca: readFileSync(p('ca.crt'), 'utf8') }),
});

before(async () => {
  openssl('req', '-x509', ...EC, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=ccr test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  leafCsr('good', 'localhost');
  signLeaf('good', 90);
  leafCsr('soon', 'localhost');
  signLeaf('soon', 5);
  leafCsr('other', 'other.example');
  writeFileSync(p('other.ext'), 'subjectAltName=DNS:other.example\n');
  openssl('x509', '-req', '-in', p('other.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-set_serial', '77', '-days', '90', '-out', p('other.crt'), '-extfile', p('other.ext'));
  // expired: `openssl ca` is the tool that takes explicit start and end dates
  mkdirSync(p('newcerts'));
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('serial'), '1000\n');
  writeFileSync(p('ca.cnf'), `[ ca ]\ndefault_ca = test\n[ test ]\ndir = ${dir}\ndatabase = ${p('index.txt')}\nnew_certs_dir = ${p('newcerts')}\nserial = ${p('serial')}\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[ any ]\ncommonName = supplied\n`);
  leafCsr('expired', 'localhost');
  openssl('ca', '-batch', '-config', p('ca.cnf'), '-cert', p('ca.crt'), '-keyfile', p('ca.key'), '-in', p('expired.csr'), '-out', p('expired.crt'), '-startdate', '20250101000000Z', '-enddate', '20250201000000Z', '-notext');
  openssl('req', '-x509', ...EC, '-keyout', p('self.key'), '-out', p('self.crt'), '-days', '90', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');

  server = createServer({ key: readFileSync(p('good.key')), cert: readFileSync(p('good.crt')) }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS certificate', () => {
  test('a CA-signed certificate for the host, valid 90 days, passes', async () => {
    use('good');
    const out = await tls();
    assert.equal(out.result, 'pass', out.detail);
    assert.match(out.detail, /certificate of localhost issued by ccr test CA, trusted, valid (89|90) more day/);
    assert.equal(out.evidence!['chain'], 'ok');
  });

  test('an expired certificate fails, with its end date', async () => {
    use('expired');
    const out = await tls();
    assert.equal(out.result, 'fail');
    assert.match(out.detail, /expired on 2025-02-01T00:00:00.000Z/);
  });

  test('a certificate for another host fails the host name check', async () => {
    use('other');
    const out = await tls();
    assert.equal(out.result, 'fail');
    assert.match(out.detail, /does not match localhost/);
    assert.doesNotMatch(out.detail, /chain not trusted/, 'the chain itself is fine');
  });

  test('a certificate expiring in 5 days fails a 14-day minimum and passes a 3-day one', async () => {
    use('soon');
    assert.match((await tls()).detail, /expires in 4 day\(s\), sooner than the 14 required|expires in 5 day\(s\), sooner than the 14 required/);
    assert.equal((await tls({ minDaysValid: 3 })).result, 'pass');
  });

  test('without its CA the chain is not trusted; a self-signed certificate neither', async () => {
    use('good');
    const noCa = await tls({ ca: false });
    assert.equal(noCa.result, 'fail');
    assert.match(noCa.detail, /chain not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|chain not trusted \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    use('self');
    assert.match((await tls()).detail, /chain not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });

  test('nothing listening: fail, naming the address', async () => {
    const out = await checkTls({ host: 'localhost', port: 1, connectHost: '127.0.0.1', connectPort: 1, minDaysValid: 1, timeoutMs: 3000, now: now() });
    assert.equal(out.result, 'fail');
    assert.match(out.detail, /no TLS handshake with 127.0.0.1:1: .*ECONNREFUSED/);
  });
});

describe('networking gate', () => {
  test('DNS resolves localhost; a reserved .invalid name does not', async () => {
    const ok = await checkDns(['localhost'], 3000);
    assert.equal(ok.result, 'pass');
    const bad = await checkDns(['localhost', 'ccr-gate-test.invalid'], 3000);
    assert.equal(bad.result, 'fail');
    assert.match(bad.detail, /ccr-gate-test\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  test('the gate: public URL from the environment, CA from gates.tls.caFile; fails with an expired certificate', async () => {
    const input = (cert: string) => {
      use(cert);
      return gateInput({ env: { publicUrl: `https://localhost:${port}` }, gates: { tls: { minDaysValid: 14, connect: `127.0.0.1:${port}`, caFile: p('ca.crt') } } });
    };
    const good = await runGate('networking', input('good'));
    assert.equal(good.result, 'pass', good.summary);
    assert.deepEqual(good.checks.map((c) => [c.name, c.result]), [['dns', 'pass'], ['tls', 'pass']]);
    const expired = await runGate('networking', input('expired'));
    assert.equal(expired.result, 'fail');
    assert.match(expired.summary, /^tls: certificate of localhost: expired on 2025-02-01/);
  });

  test('an http public URL fails the TLS check; no public URL cannot be checked', async () => {
    assert.match((await runGate('networking', gateInput({ env: { publicUrl: 'http://localhost:8080' } }))).summary, /not https/);
    const none = await runGate('networking', gateInput());
    assert.equal(none.result, 'cannot-check');
  });
});
