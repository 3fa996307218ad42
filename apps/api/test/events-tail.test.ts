import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';

// `npm run events:tail` is run as a real process against the mock cluster (DESIGN §6).

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = `${ROOT}node_modules/.bin/tsx`;
const SCRIPT = `${ROOT}apps/api/src/bin/events-tail.ts`;

interface Tail {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function runTail(args: string[], env: Record<string, string | undefined>): Tail {
  const cleanEnv = { ...process.env };
  delete cleanEnv['KAFKA_BROKER'];
  const child = spawn(TSX, [SCRIPT, ...args], { cwd: ROOT, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let err = '';
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    partial += c.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    stdout.push(...lines.filter(Boolean));
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout, stderr: () => err, exited };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

describe('npm run events:tail', () => {
  let mock: KafkaMock;
  const running: ChildProcess[] = [];
  before(async () => {
    mock = await startKafkaMock();
  });
  after(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await mock.stop();
  });

  test('--help prints usage and exits 0', async () => {
    const tail = runTail(['--help'], {});
    running.push(tail.child);
    assert.equal(await within(tail.exited, 60_000, 'exit'), 0);
    assert.match(tail.stdout.join('\n'), /--from-beginning/);
  });

  test('refuses clearly when KAFKA_BROKER is unset, and on bad flags', async () => {
    const tail = runTail([], {});
    running.push(tail.child);
    assert.equal(await within(tail.exited, 60_000, 'exit'), 2);
    assert.match(tail.stderr(), /KAFKA_BROKER is not set/);

    const bad = runTail(['--max', 'zero'], { KAFKA_BROKER: mock.broker });
    running.push(bad.child);
    assert.equal(await within(bad.exited, 60_000, 'exit'), 2);
    assert.match(bad.stderr(), /--max: must be a positive integer/);
  });

  test('--from-beginning prints each event already on the topic as one JSON line', async () => {
    const topic = `tail_${randomBytes(3).toString('hex')}`;
    const kafka = new Kafka({ clientId: 'test', brokers: [mock.broker], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const events = [1, 2, 3].map((i) => ({ event_id: `e-${i}`, user_id: 'u-1', action_type: 'test', action_timestamp: new Date().toISOString(), metadata: { i } }));
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: 'u-1', value: JSON.stringify(e) })) });
    await producer.disconnect();

    const tail = runTail(['--from-beginning', '--max', '3', '--topic', topic], { KAFKA_BROKER: mock.broker });
    running.push(tail.child);
    assert.equal(await within(tail.exited, 60_000, 'three events'), 0, tail.stderr());
    const printed = tail.stdout.map((l) => JSON.parse(l) as { event_id: string });
    assert.deepEqual(printed.map((e) => e.event_id).sort(), ['e-1', 'e-2', 'e-3']);
    assert.deepEqual(printed.find((e) => e.event_id === 'e-2'), events[1]);
  });

  test('without --from-beginning it prints only new events, live', async () => {
    const topic = `tail_${randomBytes(3).toString('hex')}`;
    const kafka = new Kafka({ clientId: 'test', brokers: [mock.broker], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'old', value: JSON.stringify({ event_id: 'old' }) }] });
      const tail = runTail(['--meta', '--max', '1', '--topic', topic], { KAFKA_BROKER: mock.broker });
      running.push(tail.child);
      const deadline = Date.now() + 60_000;
      // The tail resolves "latest" some time after it joins its group; keep producing until it
      // prints one, which must be a new event and never the one written before it started.
      let n = 0;
      while (tail.child.exitCode === null && Date.now() < deadline) {
        if (tail.stderr().includes('events-tail: reading')) {
          n += 1;
          await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: JSON.stringify({ event_id: `new-${n}` }) }] });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(await within(tail.exited, 5000, 'exit'), 0, tail.stderr());
      assert.equal(tail.stdout.length, 1);
      const line = JSON.parse(tail.stdout[0]!) as { key: string; partition: number; offset: string; event: { event_id: string } };
      assert.match(line.event.event_id, /^new-\d+$/);
      assert.equal(line.key, 'k');
      assert.equal(typeof line.partition, 'number');
      assert.match(line.offset, /^\d+$/);
    } finally {
      await producer.disconnect();
    }
  });
});
