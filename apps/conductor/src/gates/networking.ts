import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { connect, checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { check, fromChecks, withTimeout, type CheckOutcome, type Gate } from './types.js';

// Networking (seed I.2): DNS resolves every configured host name, and the public URL's TLS
// certificate has a chain to a trusted CA, names the host, and stays valid for N more days.

export async function checkDns(hosts: string[], timeoutMs: number): Promise<CheckOutcome> {
  const results = await Promise.all(hosts.map(async (host) => {
    try {
      const addrs = await withTimeout(timeoutMs, `lookup ${host}`, lookup(host, { all: true }));
      return { host, addresses: addrs.map((a) => a.address), error: null };
    } catch (err) {
      return { host, addresses: [], error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
    }
  }));
  const failed = results.filter((r) => r.error);
  if (failed.length) return check('dns', 'fail', `does not resolve: ${failed.map((r) => `${r.host} (${r.error})`).join(', ')}`, { results });
  return check('dns', 'pass', results.map((r) => `${r.host} -> ${r.addresses.join(', ')}`).join('; '), { results });
}

export interface TlsOptions { host: string; port: number; connectHost?: string; connectPort?: number; ca?: string; minDaysValid: number; timeoutMs: number; now: Date }

export async function checkTls(o: TlsOptions): Promise<CheckOutcome> {
  let cert: PeerCertificate;
  let authorizationError: string | null;
  const target = `${o.connectHost ?? o.host}:${o.connectPort ?? o.port}`;
  try {
    ({ cert, authorizationError } = await withTimeout(o.timeoutMs, `TLS handshake with ${target}`, new Promise<{ cert: PeerCertificate; authorizationError: string | null }>((resolve, reject) => {
      // rejectUnauthorized is off so an invalid certificate can be described, not just refused;
      // the verdict below uses the chain result Node computed (socket.authorizationError).
      const socket = connect({
        host: o.connectHost ?? o.host, port: o.connectPort ?? o.port, servername: o.host, rejectUnauthorized: false,
        ...(o.ca ? { ca: [...rootCertificates, o.ca] } : {}),
      }, () => {
        const c = socket.getPeerCertificate(false);
        const err = socket.authorized ? null : String(socket.authorizationError ?? 'not authorized');
        socket.end();
        resolve({ cert: c, authorizationError: err });
      });
      socket.on('error', reject);
    })));
  } catch (err) {
    return check('tls', 'fail', `no TLS handshake with ${target}: ${(err as Error).message}`, { host: o.host, target });
  }
  const validTo = new Date(cert.valid_to);
  const daysLeft = Math.floor((validTo.getTime() - o.now.getTime()) / 86_400_000);
  const identity = checkServerIdentity(o.host, cert);
  const evidence = {
    host: o.host, target, subject: cert.subject?.CN ?? null, issuer: cert.issuer?.CN ?? null, subjectAltName: cert.subjectaltname ?? null,
    validFrom: new Date(cert.valid_from).toISOString(), validTo: validTo.toISOString(), daysLeft, fingerprint256: cert.fingerprint256,
    chain: authorizationError ?? 'ok', hostnameMatch: identity ? identity.message : 'ok', minDaysValid: o.minDaysValid,
  };
  const problems: string[] = [];
  if (validTo.getTime() <= o.now.getTime()) problems.push(`expired on ${evidence.validTo}`);
  else if (daysLeft < o.minDaysValid) problems.push(`expires in ${daysLeft} day(s), sooner than the ${o.minDaysValid} required`);
  if (new Date(cert.valid_from).getTime() > o.now.getTime()) problems.push(`not valid before ${evidence.validFrom}`);
  // expiry and the host name are said above in plainer words; what remains is the chain
  if (authorizationError && !['CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(authorizationError)) problems.push(`chain not trusted (${authorizationError})`);
  if (identity) problems.push(`does not match ${o.host}: ${identity.message}`);
  if (problems.length) return check('tls', 'fail', `certificate of ${o.host}: ${problems.join('; ')}`, evidence);
  return check('tls', 'pass', `certificate of ${o.host} issued by ${evidence.issuer ?? '?'}, trusted, valid ${daysLeft} more day(s)`, evidence);
}

export const networkingGate: Gate = async (input) => {
  const g = input.gates;
  const t = g.connectTimeout;
  const publicUrl = input.env.publicUrl ? new URL(input.env.publicUrl) : null;
  const hosts = g.dns.hosts.length ? g.dns.hosts : publicUrl ? [publicUrl.hostname] : [];
  const checks: CheckOutcome[] = [hosts.length ? await checkDns(hosts, t) : check('dns', 'cannot-check', 'no host names to resolve (gates.dns.hosts or publicUrl)')];
  if (!publicUrl) checks.push(check('tls', 'cannot-check', `${input.envName} has no publicUrl`));
  else if (publicUrl.protocol !== 'https:') checks.push(check('tls', 'fail', `publicUrl ${publicUrl.origin} is not https`));
  else {
    const [connectHost, connectPort] = g.tls.connect ? [g.tls.connect.slice(0, g.tls.connect.lastIndexOf(':')), Number(g.tls.connect.slice(g.tls.connect.lastIndexOf(':') + 1))] : [undefined, undefined];
    const ca = g.tls.caFile ? readFileSync(isAbsolute(g.tls.caFile) ? g.tls.caFile : join(input.repo, g.tls.caFile), 'utf8') : undefined;
    checks.push(await checkTls({
      host: publicUrl.hostname, port: Number(publicUrl.port || 443), minDaysValid: g.tls.minDaysValid, timeoutMs: t, now: input.now(),
      ...(connectHost ? { connectHost, connectPort: connectPort! } : {}), ...(ca ? { ca } : {}),
    }));
  }
  return fromChecks(checks);
};
