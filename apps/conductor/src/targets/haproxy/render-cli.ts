// Writes an HAProxy config and its runtime files for real hosts (deploy/haproxy/README.md):
//   npx tsx apps/conductor/src/targets/haproxy/render-cli.ts --dir /etc/haproxy/cc \
//     --bind 0.0.0.0:80 --socket /run/haproxy/cc-admin.sock --pin-token-file /path/to/router-pin-token
// With --stdout it only prints the config (the example in deploy/haproxy/haproxy.cfg).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { writeHaproxyFiles } from './haproxy-process.js';
import { DEFAULT_SLOTS } from './layout.js';
import { renderHaproxyConfig, type HaproxyConfigOptions } from './render-config.js';

const argsSchema = z.object({
  dir: z.string().startsWith('/'),
  bind: z.string().regex(/^[^:]+:\d{1,5}$/, 'host:port'),
  socket: z.string().min(1),
  api: z.string().regex(/^[A-Za-z0-9_-]+$/).default('cc_api'),
  web: z.string().regex(/^[A-Za-z0-9_-]+$/).default('cc_web'),
  slots: z.coerce.number().int().min(1).max(32).default(DEFAULT_SLOTS),
  'check-interval-ms': z.coerce.number().int().min(100).default(1000),
  'check-timeout-ms': z.coerce.number().int().min(100).default(2000),
  'pin-token-file': z.string().optional(),
  stdout: z.boolean().default(false),
});

/** The options the example config and real hosts use; only paths and addresses differ. */
export function exampleOptions(a: z.output<typeof argsSchema>): Omit<HaproxyConfigOptions, 'mapDir'> {
  const [host, port] = a.bind.split(':') as [string, string];
  return {
    layout: { backends: { api: a.api, web: a.web }, slots: a.slots },
    bind: { host, port: Number(port) },
    statsSocket: a.socket,
    health: { intervalMs: a['check-interval-ms'], timeoutMs: a['check-timeout-ms'], rise: 2, fall: 3 },
  };
}

export function parseRenderArgs(argv: string[]): z.output<typeof argsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' }, bind: { type: 'string' }, socket: { type: 'string' }, api: { type: 'string' }, web: { type: 'string' },
      slots: { type: 'string' }, 'check-interval-ms': { type: 'string' }, 'check-timeout-ms': { type: 'string' },
      'pin-token-file': { type: 'string' }, stdout: { type: 'boolean' },
    },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const a = parseRenderArgs(process.argv.slice(2));
    if (a.stdout) {
      process.stdout.write(renderHaproxyConfig({ ...exampleOptions(a), mapDir: a.dir }));
    } else {
      if (!a['pin-token-file']) throw new Error('--pin-token-file: required (the router pin token ccr uses)');
      const pinToken = readFileSync(a['pin-token-file'], 'utf8').trim();
      process.stdout.write(`${writeHaproxyFiles(a.dir, { ...exampleOptions(a), pinToken })}\n`);
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(64);
  }
}
