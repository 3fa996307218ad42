// A trivial upstream for the benches, run as its own process so it does not share an
// event loop with the proxy under test. argv: one version name per server to start.
// Prints one JSON line {"ports":{version:port}} when listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const versions = process.argv.slice(2);
if (versions.length === 0) versions.push('v1');
const body = Buffer.from('hello world\n');

const ports: Record<string, number> = {};
await Promise.all(
  versions.map(
    (version) =>
      new Promise<void>((resolve) => {
        const server = http.createServer((req, res) => {
          if (req.url === '/health/ready') {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
            res.end('{"ok":true}');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'x-upstream-version': version });
          res.end(body);
        });
        server.keepAliveTimeout = 65_000;
        server.listen(0, '127.0.0.1', () => {
          ports[version] = (server.address() as AddressInfo).port;
          resolve();
        });
      }),
  ),
);
process.stdout.write(`${JSON.stringify({ ports })}\n`);
