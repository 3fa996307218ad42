import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Local secrets are generated once, strong, and kept in files only their owner can read
// (0600 in a 0700 folder). They are passed to processes through the environment or
// --*-file options, never argv, and never logged.

export type SecretName = 'jwt-secret' | 'router-admin-token' | 'router-pin-token' | 'control-token';

export function ensureSecret(dir: string, name: SecretName): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = secretFile(dir, name);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) {
      chmodSync(file, 0o600);
      return value;
    }
  }
  const value = randomBytes(48).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

export function secretFile(dir: string, name: SecretName): string {
  return join(dir, name);
}

export function readSecret(dir: string, name: SecretName): string | null {
  try {
    return readFileSync(secretFile(dir, name), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
