import net from 'node:net';
import { CcrError } from '../../errors.js';

// HAProxy's Runtime API (the stats socket at `level admin`), one command per connection: the
// non-interactive mode closes the connection after the answer, so a whole answer is simply
// everything read until the close. A unix socket path or host:port (loopback) both work.

export class HaproxyRuntime {
  constructor(
    /** /run/haproxy/admin.sock, or 127.0.0.1:9999 for a TCP stats socket. */
    readonly address: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** Sends one command and resolves with HAProxy's answer (trailing blank lines removed). */
  exec(command: string): Promise<string> {
    if (/[\n;]/.test(command)) throw new CcrError('usage', 'a runtime API command must be a single line without ";"');
    return new Promise((resolve, reject) => {
      const tcp = /^([^/][^:]*):(\d+)$/.exec(this.address);
      const sock = tcp ? net.connect(Number(tcp[2]), tcp[1]) : net.connect(this.address);
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => sock.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      sock.on('connect', () => sock.end(`${command}\n`));
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(new CcrError('router_failed', `HAProxy runtime API at ${this.address} failed on "${command.split(' ').slice(0, 3).join(' ')}": ${err.message}`, { cause: err }));
      });
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8').replace(/\n+$/, ''));
      });
    });
  }

  /** Like exec, but an answer that reads as a refusal becomes a router_failed error. */
  async must(command: string, ok: (answer: string) => boolean = defaultOk): Promise<string> {
    const answer = await this.exec(command);
    if (!ok(answer)) throw new CcrError('router_failed', `HAProxy refused "${command.split(' ').slice(0, 3).join(' ')}": ${answer.slice(0, 300)}`);
    return answer;
  }
}

/** For `show ...`: the answer is data, so only a command-level refusal counts as failure. */
export const showOk = (answer: string): boolean => !/^(Unknown command|Can't|Cannot|No such|Missing|Unknown)/i.test(answer);

// Successful admin commands answer nothing or a short confirmation; refusals name the problem.
function defaultOk(answer: string): boolean {
  return !/(unknown|not found|no such|invalid|require|cannot|can't|not allowed|failed|error|must be)/i.test(answer);
}
