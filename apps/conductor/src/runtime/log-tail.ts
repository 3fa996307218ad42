import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

// Foreground `ccr up` shows every managed process's log as it grows, one line per record,
// prefixed by the process (instance id carries the version). Processes write to files, not
// to our pipes, so this is a poller over .cc/runtime/logs/*.log.

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const QUIET_KEYS = new Set(['level', 'time', 'msg', 'service', 'version', 'env', 'pid', 'hostname', 'reqId']);

/** One readable line from a JSON log record (pino or the router's); null hides it. */
export function formatLogLine(line: string, verbose = false): string | null {
  if (!line.trim()) return null;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
    if (!rec || typeof rec !== 'object') return line;
  } catch {
    return line;
  }
  const level = typeof rec['level'] === 'number' ? (LEVELS[rec['level']] ?? String(rec['level'])) : String(rec['level'] ?? 'info').toUpperCase();
  if (rec['msg'] === 'request') {
    const route = String(rec['route'] ?? rec['url'] ?? '');
    const status = Number(rec['status'] ?? 0);
    // Health checks every couple of seconds would drown everything else.
    if (!verbose && route.startsWith('/health') && status < 400) return null;
    return `${level.padEnd(5)} ${String(rec['method'] ?? '')} ${route} ${status} ${String(rec['ms'] ?? '?')}ms`;
  }
  const extras = Object.entries(rec)
    .filter(([k]) => !QUIET_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${level.padEnd(5)} ${String(rec['msg'] ?? '')}${extras ? `  ${extras}` : ''}`;
}

export class LogTailer {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly write: (line: string) => void,
    private readonly verbose = false,
  ) {
    // Only what happens from now on: earlier runs' lines stay in the files.
    for (const file of this.files()) this.offsets.set(file, statSync(join(dir, file)).size);
  }

  start(intervalMs = 250): void {
    const tick = () => {
      this.poll();
      this.timer = setTimeout(tick, intervalMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.poll();
  }

  poll(): void {
    for (const file of this.files()) {
      const path = join(this.dir, file);
      const size = statSync(path).size;
      let offset = this.offsets.get(file) ?? 0;
      if (size < offset) offset = 0;
      if (size === offset) continue;
      const buf = Buffer.alloc(Math.min(size - offset, 1024 * 1024));
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
      this.offsets.set(file, offset + buf.length);
      const text = (this.partial.get(file) ?? '') + buf.toString('utf8');
      const lines = text.split('\n');
      this.partial.set(file, lines.pop() ?? '');
      const label = basename(file, '.log');
      for (const line of lines) {
        const pretty = formatLogLine(line, this.verbose);
        if (pretty !== null) this.write(`[${label}] ${pretty}`);
      }
    }
  }

  private files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => f.endsWith('.log') && f !== 'runtime.log').sort();
  }
}
