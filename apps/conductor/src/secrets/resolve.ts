import { readFile, stat } from 'node:fs/promises';
import { formatArgv, lastLines, rememberSecret, run, succeeded } from '../command/index.js';
import type { RolloutConfig, SecretConfig } from '../config/index.js';
import { CcrError, errorMessage } from '../errors.js';

// Reads the secrets of rollout.yaml from their providers (issue 19). A value lives only in
// memory: it is never written anywhere, and it joins the known secrets (command/known-secrets.ts)
// as soon as it is read, so every boundary that prints or stores redacts it.

export interface ResolvedSecret {
  name: string;
  provider: SecretConfig['provider'];
  /** Where the value came from, for evidence: never the value. */
  source: string;
  value: string;
}

/** Where a secret is read from, in words (the evidence's "source"). */
export function secretSource(cfg: SecretConfig): string {
  if (cfg.provider === 'env') return `environment variable ${cfg.variable}`;
  if (cfg.provider === 'file') return `file ${cfg.path}`;
  return `command ${formatArgv(cfg.argv)}`;
}

async function readValue(name: string, cfg: SecretConfig, env: NodeJS.ProcessEnv): Promise<string> {
  if (cfg.provider === 'env') {
    const v = env[cfg.variable];
    if (v === undefined || v === '') throw new CcrError('secret_failed', `secret ${name}: environment variable ${cfg.variable} is not set`);
    return v;
  }
  if (cfg.provider === 'file') {
    let st;
    try {
      st = await stat(cfg.path);
    } catch (err) {
      throw new CcrError('secret_failed', `secret ${name}: cannot read ${cfg.path}: ${errorMessage(err)}`, { cause: err });
    }
    // like ssh with a private key: a secret others can read is no longer a secret
    const mode = st.mode & 0o777;
    if (mode & 0o077) throw new CcrError('secret_failed', `secret ${name}: ${cfg.path} is open to its group or others (mode ${mode.toString(8).padStart(4, '0')}); make it owner-only: chmod 600 ${cfg.path}`);
    return readFile(cfg.path, 'utf8');
  }
  const r = await run({ argv: cfg.argv, timeoutMs: cfg.timeout, description: `secret ${name}: ${cfg.argv[0]}` }).catch((err: unknown) => {
    throw new CcrError('secret_failed', `secret ${name}: cannot start ${cfg.argv[0]}: ${errorMessage(err)}`, { cause: err });
  });
  if (r.timedOut) throw new CcrError('secret_failed', `secret ${name}: ${cfg.argv[0]} did not answer within ${cfg.timeout} ms`);
  // stderr only: stdout may hold part of the value
  if (!succeeded(r)) throw new CcrError('secret_failed', `secret ${name}: ${cfg.argv[0]} exited ${r.exitCode ?? r.signal}: ${lastLines(r.stderr, 3) || '(no message)'}`);
  return r.stdout;
}

/** One secret's value from its provider; a trailing newline (as `pass show` or `echo` leave) is dropped. */
export async function resolveSecret(name: string, cfg: SecretConfig, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedSecret> {
  const value = (await readValue(name, cfg, env)).replace(/\r?\n$/, '');
  if (value === '') throw new CcrError('secret_failed', `secret ${name}: ${secretSource(cfg)} gave an empty value`);
  rememberSecret(value);
  return { name, provider: cfg.provider, source: secretSource(cfg), value };
}

export type SecretOutcome = { name: string; provider: SecretConfig['provider'] | null; source: string } & ({ ok: true; value: string } | { ok: false; error: string });

/** Every secret an environment lists, each resolved or with its error (none stops the others). */
export async function resolveEnvironmentSecrets(config: Pick<RolloutConfig, 'secrets'>, names: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<SecretOutcome[]> {
  return Promise.all(names.map(async (name): Promise<SecretOutcome> => {
    const cfg = config.secrets[name];
    if (!cfg) return { name, provider: null, source: 'undeclared', ok: false, error: `secret ${name} is not declared under secrets` };
    try {
      const r = await resolveSecret(name, cfg, env);
      return { name, provider: r.provider, source: r.source, ok: true, value: r.value };
    } catch (err) {
      return { name, provider: cfg.provider, source: secretSource(cfg), ok: false, error: errorMessage(err) };
    }
  }));
}
