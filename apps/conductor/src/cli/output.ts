import { CcrError, errorMessage } from '../errors.js';

export interface GlobalOptions {
  json?: boolean;
  env?: string;
}

/** Prints a result: the JSON object with --json, otherwise the human text. */
export function emit(opts: GlobalOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Progress for long work goes to stderr so --json stdout stays one parseable document. */
export function progress(opts: GlobalOptions, line: string): void {
  if (!opts.json || process.env['CCR_PROGRESS'] === '1') process.stderr.write(`${line}\n`);
}

export function fail(opts: GlobalOptions, err: unknown): never {
  const code = err instanceof CcrError ? err.code : 'internal';
  const exitCode = err instanceof CcrError ? err.exitCode : 1;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ error: { code, message: errorMessage(err), ...(err instanceof CcrError && err.details ? { details: err.details } : {}) } })}\n`);
  } else {
    process.stderr.write(`ccr: ${errorMessage(err)}${code !== 'internal' ? ` [${code}]` : ''}\n`);
    if (process.env['CCR_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  process.exit(exitCode);
}
