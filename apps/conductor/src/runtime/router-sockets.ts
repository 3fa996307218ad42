import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { CcrError } from '../errors.js';

// The router's two listening sockets, bound by the runtime and handed to the router process
// as inherited file descriptors (what systemd socket activation does). The runtime keeps its
// copy open and never accepts on it, so while a crashed router is restarted, new connections
// wait in the kernel's accept queue and the new router serves them: a router crash costs
// the requests it was handling, not a window of refused connections. The sockets are bound,
// not listened on, here; the router calls listen() on them.
//
// Node has no public call for "bind without accepting": net._createServerHandle is what its
// own cluster module uses for exactly this (shared handles), stable since Node 0.x.

interface TcpHandle {
  readonly fd: number;
  getsockname(out: { address?: string; port?: number }): number;
  close(): void;
}
type CreateServerHandle = (address: string, port: number, addressType: 4 | 6, fd?: number, flags?: number) => TcpHandle | number;

export interface HeldSocket {
  fd: number;
  port: number;
  close(): void;
}

export async function bindSocket(host: string, port: number, what: string): Promise<HeldSocket> {
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = create(address, port, net.isIPv6(address) ? 6 : 4, undefined, 0);
  if (typeof handle === 'number') {
    const code = getSystemErrorName(handle);
    throw new CcrError('router_failed', `cannot bind the router's ${what} socket on ${host}:${port}: ${code}${code === 'EADDRINUSE' ? ' (another process listens there; stop it or choose another port)' : ''}`);
  }
  const out: { port?: number } = {};
  handle.getsockname(out);
  let open = true;
  return {
    fd: handle.fd,
    port: out.port ?? port,
    close() {
      if (open) handle.close();
      open = false;
    },
  };
}
