import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError, errorMessage } from './errors.js';
import { execInHost, hostDir, HOST_ROOT, startInHost } from './host-setup.js';
import { isAlive, run, tcpConnect, waitFor, type ProcRef } from './proc.js';
import { subnetCidr } from './network.js';
import type { FleetState, HostState } from './state.js';

// The data host: its own PostgreSQL 15 cluster (Debian's binaries, run as postgres), Redis and
// the Kafka-protocol broker (kcat's mock cluster, DESIGN §6), each on the data host's address.
// Data lives on the host's private disk and dies with the fleet.

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PG_PORT = 5432;
export const REDIS_PORT = 6379;
export const KAFKA_PORT = 9092;
const PG_DIR = `${HOST_ROOT}/pg`;
const asPostgres = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];
const asNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

/** initdb (trust for the fleet's subnet: a private test network), then postgres on the host's address. */
export async function startPostgres(state: FleetState, host: HostState): Promise<ProcRef> {
  await execInHost(host, ['install', '-d', '-m', '0700', '-o', 'postgres', '-g', 'postgres', PG_DIR, `${PG_DIR}/run`]);
  await execInHost(host, [...asPostgres, `${PG_BIN}/initdb`, '-D', `${PG_DIR}/data`, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], { timeoutMs: 120_000 });
  await execInHost(host, [...asPostgres, 'sh', '-c', `echo 'host all all ${subnetCidr(state.subnet)} trust' >> ${PG_DIR}/data/pg_hba.conf`]);
  const ref = startInHost(state, host, 'postgres', [
    ...asPostgres, `${PG_BIN}/postgres`, '-D', `${PG_DIR}/data`,
    '-c', `listen_addresses=${host.address}`, '-c', `port=${PG_PORT}`, '-c', `unix_socket_directories=${PG_DIR}/run`,
    // Throwaway test data: durability settings off, so tests are not bound by this disk's fsync.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
  ]);
  await waitFor(`PostgreSQL on ${host.address}:${PG_PORT}`, async () => {
    if (!isAlive(ref)) throw new FleetError('setup_failed', `postgres exited: ${tail(state, host, 'postgres')}`);
    return (await run('pg_isready', ['-q', '-h', host.address, '-p', String(PG_PORT), '-t', '1'], { allowFailure: true })).code === 0 ? true : undefined;
  }, 30_000, 50);
  return ref;
}

export async function startRedis(state: FleetState, host: HostState): Promise<ProcRef> {
  const ref = startInHost(state, host, 'redis', [...asNobody, 'redis-server', '--bind', host.address, '--port', String(REDIS_PORT), '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', '/tmp', '--daemonize', 'no']);
  await waitFor(`Redis on ${host.address}:${REDIS_PORT}`, async () => {
    if (!isAlive(ref)) throw new FleetError('setup_failed', `redis-server exited: ${tail(state, host, 'redis')}`);
    return (await tcpConnect(host.address, REDIS_PORT, 500)) === null ? undefined : true;
  }, 10_000);
  return ref;
}

/**
 * kcat's mock cluster binds 127.0.0.1 only and advertises 127.0.0.1:PORT in its metadata, so a
 * client on another host would be sent to its own loopback. Hence two relays (socat): on the
 * data host, ADDRESS:9092 -> 127.0.0.1:PORT (the bootstrap address clients are given), and on
 * each app host, 127.0.0.1:PORT -> DATA:9092 (where the metadata sends them next).
 */
export async function startKafka(state: FleetState, host: HostState): Promise<{ mock: ProcRef; relay: ProcRef; port: number }> {
  const mock = startInHost(state, host, 'kafka', [...asNobody, 'kcat', '-X', 'test.mock.num.brokers=1', '-b', 'dummy:9092', '-C', '-q', '-t', 'warmup']);
  const port = await waitFor(`the Kafka mock on ${host.name} to report its port`, () => {
    if (!isAlive(mock)) throw new FleetError('setup_failed', `kcat exited: ${tail(state, host, 'kafka')}`);
    const m = /replaced with 127\.0\.0\.1:(\d+)/.exec(readLog(state, host, 'kafka'));
    return m ? Number(m[1]) : undefined;
  }, 15_000);
  const relay = startInHost(state, host, 'kafka-relay', [...asNobody, 'socat', `TCP-LISTEN:${KAFKA_PORT},bind=${host.address},reuseaddr,fork`, `TCP:127.0.0.1:${port}`]);
  await waitFor(`the Kafka relay on ${host.address}:${KAFKA_PORT}`, async () => {
    if (!isAlive(relay)) throw new FleetError('setup_failed', `socat exited: ${tail(state, host, 'kafka-relay')}`);
    return (await tcpConnect(host.address, KAFKA_PORT, 500)) === null ? undefined : true;
  }, 10_000);
  return { mock, relay, port };
}

/** The app host's end of the Kafka relay: 127.0.0.1:port on the host -> data:9092. */
export async function startKafkaLoopbackRelay(state: FleetState, host: HostState, data: HostState, port: number): Promise<ProcRef> {
  const relay = startInHost(state, host, 'kafka-relay', [...asNobody, 'socat', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:${data.address}:${KAFKA_PORT}`]);
  try {
    await waitFor(`the Kafka loopback relay on ${host.name}`, async () => {
      if (!isAlive(relay)) throw new FleetError('setup_failed', `socat exited: ${tail(state, host, 'kafka-relay')}`);
      const r = await execInHost(host, ['ss', '-Hltn', `sport = :${port}`]);
      return r.stdout.includes(`127.0.0.1:${port}`) ? true : undefined;
    }, 10_000);
  } catch (err) {
    throw new FleetError('setup_failed', errorMessage(err), { cause: err });
  }
  return relay;
}

function readLog(state: FleetState, host: HostState, service: string): string {
  try {
    return readFileSync(join(hostDir(state, host), `${service}.log`), 'utf8');
  } catch {
    return '';
  }
}

function tail(state: FleetState, host: HostState, service: string): string {
  return readLog(state, host, service).slice(-1500);
}
