import { createRequire } from 'node:module';
import { run } from '../command/index.js';
import { CcrError } from '../errors.js';

// squawk-cli ships a native binary in a per-platform package; we call it directly (no shell,
// no npx) with --reporter=json. It exits 1 when it has findings, so the exit code alone is
// not an error: unparseable output is.

export interface SquawkFinding {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

export function squawkBinary(): string {
  const explicit = process.env['CCR_SQUAWK'];
  if (explicit) return explicit;
  const require = createRequire(import.meta.url);
  const pkg = `@squawk-cli/${process.platform}-${process.arch}/bin/squawk${process.platform === 'win32' ? '.exe' : ''}`;
  try {
    return require.resolve(pkg);
  } catch (err) {
    throw new CcrError('not_found', `squawk is not installed (${pkg}); run npm install -w @cc/conductor (squawk-cli is a devDependency), or set CCR_SQUAWK`, { cause: err });
  }
}

export async function runSquawk(files: string[], opts: { assumeInTransaction: boolean; pgVersion?: string }): Promise<SquawkFinding[]> {
  if (files.length === 0) return [];
  const args = ['--reporter=json', `--pg-version=${opts.pgVersion ?? '15.0'}`, ...(opts.assumeInTransaction ? ['--assume-in-transaction'] : ['--no-assume-in-transaction']), ...files];
  const r = await run({ argv: [squawkBinary(), ...args] });
  const text = r.stdout.trim();
  try {
    return text ? (JSON.parse(text) as SquawkFinding[]) : [];
  } catch (parseErr) {
    throw new CcrError('step_failed', `squawk failed (${r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`}): ${(r.stderr || text).slice(0, 2000)}`, { cause: parseErr });
  }
}
