import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createFleet, type Fleet } from '../fleet.js';
import { isAlive, pidsWithCmdline, procStart, run, runSync, tcpConnect, waitFor, type ProcRef } from '../proc.js';
import { BASE_DIR, loadState } from '../state.js';

// The test bed itself, on one fleet (LB, data, 2 app hosts). Each test leaves the fleet as it
// found it; the last one destroys it and checks that nothing of it remains.

let fleet: Fleet;
const scratch = mkdtempSync(join(tmpdir(), 'ccf-test-'));

before(async () => {
  fleet = await createFleet({ appHosts: 2, name: 'bed-test' });
  console.log(`# fleet ${fleet.id} created in ${fleet.createMs} ms`);
});
after(async () => {
  await fleet?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

const plain = { multiplex: false };
const require = createRequire(import.meta.url);

test('every host answers SSH on its own address with its pinned key (StrictHostKeyChecking=yes), as the deploy user', async () => {
  assert.deepEqual(fleet.hosts.map((h) => h.name), ['lb-1', 'data-1', 'app-1', 'app-2']);
  await Promise.all(fleet.hosts.map(async (h) => {
    const r = await fleet.ssh(h, 'id -un; ip -4 -o addr show scope global; ip route', plain);
    assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
    const [user, addr, ...routes] = r.stdout.trim().split('\n');
    assert.equal(user, fleet.user);
    assert.match(addr!, new RegExp(`eth0\\s+inet ${h.address.replaceAll('.', '\\.')}/24`), `${h.name} has only its fleet address`);
    // No default route: a host can reach the fleet's subnet and its loopback, nothing else.
    assert.deepEqual(routes.map((l) => l.split(' ')[0]), [fleet.subnet], `${h.name} routes: ${routes.join('; ')}`);
  }));
});

test('a changed host key is refused, and so is a host missing from known_hosts', async () => {
  await fleet.changeHostKey('app-2');
  const r = await fleet.ssh('app-2', 'true', plain);
  assert.equal(r.code, 255);
  assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.match(r.stderr, /Host key verification failed/);

  const empty = join(scratch, 'empty_known_hosts');
  writeFileSync(empty, '');
  const args = fleet.sshArgs('app-1', plain).map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${empty}` : a));
  const unknown = await run('ssh', [...args, 'true'], { allowFailure: true });
  assert.equal(unknown.code, 255);
  assert.match(unknown.stderr, /Host key verification failed/);

  await fleet.changeHostKey('app-2', { pin: true }); // a rotation the operator pinned
  assert.equal((await fleet.ssh('app-2', 'true', plain)).code, 0);
});

test('only public-key authentication is offered: password, keyboard-interactive, root and a foreign key are refused', async () => {
  const base = fleet.sshOptions(plain);
  const pw = await run('ssh', [...base, '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive', fleet.destination('app-1'), 'true'], { allowFailure: true });
  assert.equal(pw.code, 255);
  assert.match(pw.stderr, /Permission denied \(publickey\)/, 'the server lists publickey as the only method');

  const root = await run('ssh', [...base, `root@${fleet.host('app-1').address}`, 'true'], { allowFailure: true });
  assert.equal(root.code, 255);
  assert.match(root.stderr, /Permission denied \(publickey\)/);

  const foreign = join(scratch, 'foreign_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', foreign]);
  const args = base.map((a) => (a === fleet.clientKey ? foreign : a));
  const other = await run('ssh', [...args, fleet.destination('app-1'), 'true'], { allowFailure: true });
  assert.equal(other.code, 255);
  assert.match(other.stderr, /Permission denied \(publickey\)/);
});

test('remote forwarding is refused: nothing can make a host listen on a new port over SSH', async () => {
  const r = await run('ssh', [...fleet.sshOptions(plain), '-N', '-o', 'ExitOnForwardFailure=yes', '-R', '9999:127.0.0.1:22', fleet.destination('app-1')], { allowFailure: true, timeoutMs: 15_000 });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /remote port forwarding failed/);
});

test('revokeClientKey makes authentication fail on that host only; authorizeClientKey restores it', async () => {
  await fleet.revokeClientKey('app-2');
  try {
    const r = await fleet.ssh('app-2', 'true', plain);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assert.equal((await fleet.ssh('app-1', 'true', plain)).code, 0);
  } finally {
    await fleet.authorizeClientKey('app-2');
  }
  assert.equal((await fleet.ssh('app-2', 'true', plain)).code, 0);
});

test('an app host has a private disk: a file sent with scp is on that host only, not in the root namespace', async () => {
  const local = join(scratch, 'artifact.tgz');
  const bytes = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) % 251));
  writeFileSync(local, bytes);
  const remote = `${fleet.home}/releases/artifact.tgz`;
  assert.equal((await fleet.ssh('app-1', `mkdir -p ${fleet.home}/releases`)).code, 0);
  const scp = await run('scp', ['-q', ...fleet.sshOptions(), local, `${fleet.destination('app-1')}:${remote}`], { allowFailure: true });
  assert.equal(scp.code, 0, scp.stderr);
  const sum = await fleet.ssh('app-1', `sha256sum ${remote}`);
  assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(bytes).digest('hex'));
  assert.equal(existsSync(remote), false, 'the root namespace does not see the host disk');
  assert.deepEqual(readdirSync(fleet.hostRoot), [], `${fleet.hostRoot} is an empty mount point in the root namespace`);
  assert.equal((await fleet.ssh('app-2', `test -e ${remote}`)).code, 1, 'app-2 has its own disk');
  assert.equal((await fleet.exec('app-1', ['stat', '-c', '%U', remote])).stdout.trim(), fleet.user, 'written by the deploy user over SSH');
});

test('ssh multiplexing: commands share one ControlMaster connection', async () => {
  assert.equal((await fleet.ssh('app-1', 'true')).code, 0);
  const check = await run('ssh', [...fleet.sshOptions(), '-O', 'check', fleet.destination('app-1')], { allowFailure: true });
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /Master running \(pid=\d+\)/);
  const before = countAccepted('app-1');
  for (let i = 0; i < 3; i++) assert.equal((await fleet.ssh('app-1', 'true')).code, 0);
  assert.equal(countAccepted('app-1'), before, 'no new authentication: the commands went through the master');
});

test('a partition makes a host unreachable from everyone, and heal restores it', async () => {
  const app1 = fleet.host('app-1');
  await fleet.partition(app1);
  try {
    assert.equal(await tcpConnect(app1.address, 22, 1_000), null, 'the root namespace cannot reach it');
    const fromLb = await fleet.exec('lb-1', ['socat', '-u', '/dev/null', `TCP:${app1.address}:22,connect-timeout=1`], { allowFailure: true });
    assert.notEqual(fromLb.code, 0, 'the LB host cannot reach it');
    const r = await fleet.ssh(app1, 'true', { multiplex: false, connectTimeoutS: 1 });
    assert.equal(r.code, 255);
    assert.notEqual(await tcpConnect(fleet.host('app-2').address, 22, 2_000), null, 'other hosts stay reachable');
  } finally {
    await fleet.heal(app1);
  }
  await waitFor('app-1 reachable after heal', async () => ((await tcpConnect(app1.address, 22, 500)) === null ? undefined : true), 15_000);
  assert.equal((await fleet.ssh(app1, 'true', plain)).code, 0);
});

test('netem adds measurable delay and loss; clearNetem removes them', async () => {
  const app2 = fleet.host('app-2');
  const delayMs = 400;
  await fleet.netem(app2, { delayMs });
  try {
    assert.match(await fleet.netemRules(app2), /-o eth0 -j NFQUEUE --queue-num 0/);
    for (let i = 0; i < 2; i++) {
      const ms = await tcpConnect(app2.address, 22, 5_000);
      assert.ok(ms !== null && ms >= delayMs * 0.95, `connect took ${ms} ms with ${delayMs} ms of delay`);
    }
    await fleet.netem(app2, { lossPct: 100 });
    assert.match(await fleet.netemRules(app2), /-m statistic --mode random --probability 1(\.0+)? -j DROP/);
    assert.doesNotMatch(await fleet.netemRules(app2), /NFQUEUE/);
    assert.equal(await tcpConnect(app2.address, 22, 1_000), null, 'every reply lost');
  } finally {
    await fleet.clearNetem(app2);
  }
  assert.doesNotMatch(await fleet.netemRules(app2), /NFQUEUE|DROP/);
  // Without netem the handshake is far below the delay (best of three: the machine is shared).
  const times = [];
  for (let i = 0; i < 3; i++) times.push((await tcpConnect(app2.address, 22, 5_000)) ?? Infinity);
  assert.ok(Math.min(...times) < delayMs, `connect times after clearNetem: ${times.join(', ')} ms`);
});

test('PostgreSQL, Redis and Kafka on the data host are reachable from the app hosts (over SSH, as the deploy user)', async () => {
  const d = fleet.data!;
  const pg = await fleet.ssh('app-1', `psql -X -At -h ${d.postgres.host} -p ${d.postgres.port} -U postgres -c "select inet_server_addr()::text || ' ' || current_setting('server_version_num')"`);
  assert.equal(pg.code, 0, pg.stderr);
  assert.match(pg.stdout.trim(), new RegExp(`^${d.host.address.replaceAll('.', '\\.')}/32 15\\d{4}$`));

  const key = `ccf-test-${process.pid}`;
  const redis = await fleet.ssh('app-1', `redis-cli -h ${d.redis.host} -p ${d.redis.port} set ${key} from-app-1 && redis-cli -h ${d.redis.host} get ${key}`);
  assert.equal(redis.stdout.trim(), 'OK\nfrom-app-1');

  // Clients follow the broker's advertised address, so this covers the relays on both ends:
  // KafkaJS (what the app uses) produces on app-1, kcat consumes on app-2.
  const b = d.kafkaBrokers[0]!;
  const producer = `const { Kafka, logLevel } = require(${JSON.stringify(require.resolve('kafkajs'))});
const p = new Kafka({ clientId: 'bed', brokers: [${JSON.stringify(b)}], logLevel: logLevel.NOTHING }).producer();
p.connect().then(() => p.send({ topic: 'bedtest', messages: [{ value: 'hello-from-app-1', partition: 0 }] })).then(() => p.disconnect())
  .catch((e) => { console.error(e); process.exit(1); });`;
  const produce = await fleet.ssh('app-1', 'node -', { input: producer });
  assert.equal(produce.code, 0, produce.stderr);
  const consume = await fleet.ssh('app-2', `kcat -C -b ${b} -t bedtest -p 0 -o beginning -c 1 -e -q`);
  assert.equal(consume.code, 0, consume.stderr);
  assert.equal(consume.stdout.trim(), 'hello-from-app-1');
});

test("HAProxy's Runtime API answers through SSH on the LB host (stdio and a forwarded unix socket), and routes to app hosts", async () => {
  const lb = fleet.lb!;
  assert.equal(existsSync(lb.runtimeApi), false, 'the socket is not reachable from the root namespace');
  const info = await fleet.ssh(lb.host, `echo 'show info' | socat -t 2 - UNIX-CONNECT:${lb.runtimeApi}`);
  assert.match(info.stdout, /^Name: HAProxy$/m);

  // The forward the target will use: a local unix socket bound to the LB's socket over the master.
  const local = join(fleet.dir, 'cm', 'lb-admin.sock');
  const fwd = await run('ssh', [...fleet.sshOptions(), '-O', 'forward', '-L', `${local}:${lb.runtimeApi}`, fleet.destination(lb.host)], { allowFailure: true });
  assert.equal(fwd.code, 0, fwd.stderr);
  const api = (cmd: string) => runtimeApi(local, cmd);
  assert.match(await api('show info'), /^Version: 2\./m);

  // An app host serves HTTP on its own address; HAProxy reaches it over the bridge.
  const app1 = fleet.host('app-1');
  const serve = `nohup node -e "require('http').createServer((q, s) => s.end('hello from app-1')).listen(8080, '${app1.address}')" >/dev/null 2>&1 &`;
  assert.equal((await fleet.ssh(app1, serve)).code, 0);
  await waitFor('app-1:8080', async () => ((await tcpConnect(app1.address, 8080, 500)) === null ? undefined : true), 15_000);
  assert.equal(await api(`add server cc_app/app1 ${app1.address}:8080`), 'New server registered.');
  await api('set server cc_app/app1 state ready');
  const res = await fetch(`http://${lb.http.host}:${lb.http.port}/`);
  assert.equal(await res.text(), 'hello from app-1');

  // restartLb: HAProxy comes back from its config, with the runtime-added server gone.
  await fleet.restartLb();
  assert.doesNotMatch(await api('show servers state cc_app'), /app1/);
  assert.equal((await fetch(`http://${lb.http.host}:${lb.http.port}/`)).status, 503);
});

test('killSshd refuses new connections; startSshd brings sshd back', async () => {
  const app2 = fleet.host('app-2');
  await fleet.killSshd(app2);
  assert.equal(await tcpConnect(app2.address, 22, 1_000), null);
  await fleet.startSshd(app2);
  assert.equal((await fleet.ssh(app2, 'true', plain)).code, 0);
});

test('destroy removes every process, namespace, interface and file of the fleet', async () => {
  const state = loadState(fleet.dir)!;
  const refs: ProcRef[] = state.hosts.flatMap((h) => [h.anchor!, ...Object.values(h.services)]);
  const masters = pidsWithCmdline(`${fleet.dir}/cm/`).map((pid) => ({ pid, start: procStart(pid) ?? '' }));
  assert.ok(masters.length > 0, 'an ssh ControlMaster is running before destroy');
  assert.ok(refs.every(isAlive));
  await fleet.destroy();
  console.log(`# fleet ${state.id} destroyed in ${fleet.destroyMs} ms`);
  assert.deepEqual(runSync('ip', ['netns', 'list']).stdout.split('\n').filter((l) => l.includes(state.id)), []);
  assert.notEqual(runSync('ip', ['link', 'show', state.bridge]).code, 0, 'bridge gone');
  assert.deepEqual(refs.filter(isAlive), [], 'no host process survives');
  assert.deepEqual(masters.filter(isAlive), [], 'ssh masters gone (the same processes: pids are reused on a busy machine)');
  assert.deepEqual(pidsWithCmdline(`${state.dir}/`), []);
  assert.equal(existsSync(state.dir), false);
  assert.equal(existsSync(join(BASE_DIR, 'subnets', String(state.subnet))), false, 'subnet released');
  await fleet.destroy(); // idempotent
});

function countAccepted(host: string): number {
  const log = runSync('cat', [join(fleet.dir, 'hosts', host, 'sshd.log')]).stdout;
  return (log.match(/Accepted publickey/g) ?? []).length;
}

function runtimeApi(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socket);
    let out = '';
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (c: Buffer) => (out += c.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve(out.trim()));
  });
}
