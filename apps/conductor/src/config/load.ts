import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rememberSecret, rememberTemplate } from '../command/index.js';
import { CcrError } from '../errors.js';
import { nearest } from '../suggest.js';
import { checkMeaning } from './checks.js';
import { formatPath } from './format-path.js';
import { rolloutSchema, type EnvironmentConfig, type RolloutConfig } from './schema.js';

export interface LoadedRollout {
  file: string;
  config: RolloutConfig;
}

/**
 * Expands ${VAR} and ${VAR:-default} in every string, so secrets stay in the environment.
 * Every value taken from the environment becomes a known secret (command/known-secrets.ts):
 * evidence, reports, the store and notifications show it as *** and the string as written.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[] = [], missing: string[] = []): unknown {
  if (typeof value === 'string') {
    const out = value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') {
        rememberSecret(v);
        return v;
      }
      if (fallback !== undefined) return fallback;
      missing.push(`${formatPath(path)}: \${${name}} is not set`);
      return '';
    });
    rememberTemplate(value, out);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, [...path, String(i)], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, [...path, k], missing)]));
  }
  return value;
}

/** Validates in two passes, shape then meaning, and reports every problem with its path. */
export function parseRollout(text: string, file: string, env: NodeJS.ProcessEnv = process.env): RolloutConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CcrError('config_invalid', `${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const missing: string[] = [];
  const expanded = expandEnv(raw, env, [], missing);
  const parsed = rolloutSchema.safeParse(expanded);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new CcrError('config_invalid', `${file} is invalid:\n  - ${lines.join('\n  - ')}`, { details: { issues: lines } });
  }
  const meaning = checkMeaning(parsed.data);
  if (meaning.length) {
    const lines = meaning.map((m) => `${m.path}: ${m.message} [${m.check}]`);
    throw new CcrError('config_invalid', `${file} is invalid:\n  - ${lines.join('\n  - ')}`, { details: { issues: lines } });
  }
  return parsed.data;
}

export function findRolloutFile(cwd = process.cwd()): string {
  const explicit = process.env['CCR_CONFIG'];
  if (explicit) return resolve(explicit);
  return resolve(cwd, 'rollout.yaml');
}

export function loadRollout(file = findRolloutFile(), env: NodeJS.ProcessEnv = process.env): LoadedRollout {
  if (!existsSync(file)) throw new CcrError('config_invalid', `no rollout configuration at ${file} (set CCR_CONFIG or run from the repository root)`);
  return { file, config: parseRollout(readFileSync(file, 'utf8'), file, env) };
}

export function environment(cfg: RolloutConfig, name?: string): { name: string; env: EnvironmentConfig } {
  const envName = name ?? cfg.defaultEnvironment;
  const env = cfg.environments[envName];
  if (!env) {
    const known = Object.keys(cfg.environments);
    const guess = nearest(envName, known);
    throw new CcrError('usage', `unknown environment "${envName}"${guess ? `: did you mean ${guess}?` : ''} (known: ${known.join(', ')})`);
  }
  return { name: envName, env };
}
