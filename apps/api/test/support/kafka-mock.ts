import { spawn, type ChildProcess } from 'node:child_process';

// librdkafka's mock cluster (through kcat) speaks the Kafka protocol on a real TCP port.
// DESIGN §6: KafkaJS 2.2.4 produces to it and consumes from it as a group.

export interface KafkaMock {
  broker: string;
  stop(): Promise<void>;
}

export async function startKafkaMock(timeoutMs = 15_000): Promise<KafkaMock> {
  const child: ChildProcess = spawn('kcat', ['-X', 'test.mock.num.brokers=1', '-b', 'dummy:9092', '-C', '-t', 'warmup', '-d', 'mock'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const broker = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kafka mock did not print bootstrap.servers within ${timeoutMs} ms:\n${buf.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start kcat (install the Debian package kcat): ${err.message}`, { cause: err }));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /bootstrap\.servers=(127\.0\.0\.1:\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume(); // keep draining so kcat never blocks on a full pipe
        resolve(m[1]!);
      }
    });
  });
  return {
    broker,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}
