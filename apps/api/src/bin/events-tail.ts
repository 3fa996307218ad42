// `npm run events:tail`: prints the user-action topic live, one JSON event per line on stdout
// (status goes to stderr so the output pipes into jq). The TypeScript heir of the original
// system's scripts/kafka_consumer.py.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Consumer } from 'kafkajs';
import { configSchema } from '../config/schema.js';
import { createKafkaClient } from '../events/kafka-client.js';
import { createLogger } from '../ops/logger.js';

const USAGE = `Usage: npm run events:tail -- [options]

Prints every event on the user-action topic as one JSON line, as it arrives.

Options:
  --from-beginning   start at the oldest retained event instead of only new ones
  --group ID         consumer group id (default: a fresh group per run, so nothing is skipped
                     or shared with another tail); reuse an id to resume where it stopped
  --topic NAME       topic to read (default: $KAFKA_TOPIC or topic_user_actions)
  --meta             wrap each event as {"partition","offset","key","event"}
  --max N            exit after N events
  -h, --help         show this help

Environment:
  KAFKA_BROKER       host:port[,host:port...] (required)
`;

function fail(message: string, code: number): never {
  process.stderr.write(`events-tail: ${message}\n`);
  process.exit(code);
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        'from-beginning': { type: 'boolean', default: false },
        group: { type: 'string' },
        topic: { type: 'string' },
        meta: { type: 'boolean', default: false },
        max: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
}

const args = parseCli();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const brokerEnv = process.env['KAFKA_BROKER'];
if (!brokerEnv) fail('KAFKA_BROKER is not set; point it at a broker, e.g. KAFKA_BROKER=127.0.0.1:9092 npm run events:tail', 2);
const broker = configSchema.shape.KAFKA_BROKER.safeParse(brokerEnv);
if (!broker.success || !broker.data) fail(`KAFKA_BROKER: must be host:port, comma separated for several brokers (got "${brokerEnv}")`, 2);
const topicParsed = configSchema.shape.KAFKA_TOPIC.safeParse(args.topic ?? process.env['KAFKA_TOPIC'] ?? undefined);
if (!topicParsed.success) fail(`--topic: not a valid Kafka topic name`, 2);
const topic = topicParsed.data;
const max = args.max === undefined ? Infinity : Number(args.max);
if (max !== Infinity && (!Number.isInteger(max) || max < 1)) fail('--max: must be a positive integer', 2);
const groupId = args.group ?? `cc-events-tail-${hostname()}-${randomBytes(4).toString('hex')}`;

// KafkaJS retries are noise for a CLI; its final error is reported below in one line.
const logger = createLogger({ level: 'error', destination: process.stderr, base: { tool: 'events-tail' } });
const kafka = createKafkaClient({ brokers: broker.data, clientId: 'cc-events-tail', logger });
// A short fetch wait keeps the tail live against brokers (like the mock cluster) that hold
// an empty fetch for the whole wait even after data arrives.
const consumer: Consumer = kafka.consumer({ groupId, allowAutoTopicCreation: true, maxWaitTimeInMs: 500 });

let seen = 0;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await consumer.disconnect().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

function render(value: Buffer | null): unknown {
  const text = value?.toString('utf8') ?? null;
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
}

consumer.on(consumer.events.GROUP_JOIN, () => {
  process.stderr.write(`events-tail: reading ${topic} (group ${groupId}${args['from-beginning'] ? ', from the beginning' : ''})\n`);
});
consumer.on(consumer.events.CRASH, (e) => {
  if (!e.payload.restart) {
    process.stderr.write(`events-tail: consumer stopped: ${e.payload.error.message}\n`);
    void stop(1);
  }
});

try {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: args['from-beginning'] });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (stopping) return;
      const event = render(message.value);
      const line = args.meta ? { partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, event } : event;
      process.stdout.write(`${JSON.stringify(line)}\n`);
      seen += 1;
      if (seen >= max) void stop(0);
    },
  });
} catch (err) {
  process.stderr.write(`events-tail: cannot consume ${topic} from ${broker.data}: ${(err as Error).message}\n`);
  await stop(1);
}
