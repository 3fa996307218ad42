import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
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

export function runSquawk(files: string[], opts: { assumeInTransaction: boolean; pgVersion?: string }): Promise<SquawkFinding[]> {
  if (files.length === 0) return Promise.resolve([]);
  const args = ['--reporter=json', `--pg-version=${opts.pgVersion ?? '15.0'}`, ...(opts.assumeInTransaction ? ['--assume-in-transaction'] : ['--no-assume-in-transaction']), ...files];
  return new Promise((resolve, reject) => {
    execFile(squawkBinary(), args, { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const text = stdout.trim();
      try {
        resolve(text ? (JSON.parse(text) as SquawkFinding[]) : []);
      } catch (parseErr) {
        reject(new CcrError('step_failed', `squawk failed${err ? ` (${err.message.split('\n')[0]})` : ''}: ${(stderr || text).slice(0, 2000)}`, { cause: parseErr }));
      }
    });
  });
}
