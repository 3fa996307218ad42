import { isIP } from 'node:net';
import { z } from 'zod';

// A host address ends up inside HAProxy Runtime API commands (`add server b/n <addr>:<port>`),
// where `;` separates commands and a space separates arguments: anything but a plain hostname
// or IP address could smuggle a second command in. So the shape is checked at the boundary.

/** RFC 1123 labels: letters, digits and inner dashes, 1-63 characters each, 253 in all. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

export function isHostnameOrIp(value: string): boolean {
  if (isIP(value) !== 0) return true;
  if (value.length > 253) return false;
  const labels = value.replace(/\.$/, '').split('.');
  // An all-numeric dotted name is an IPv4 typo (999.1.1.1), not a hostname.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => LABEL.test(l));
}

export const hostAddress = z.string().refine(isHostnameOrIp, {
  message: 'must be a hostname (letters, digits, dashes and dots) or an IPv4/IPv6 address, with no port',
});

/** `host:port` for URLs: an IPv6 address needs brackets there. */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
