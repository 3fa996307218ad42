// Production refuses settings that are known defaults. Shared by the API (its config refuses to
// start with them) and the conductor (its configuration gate checks an environment before a
// deploy), so both apply the same rules. The lists are deliberately broad: a secret that
// appears in a tutorial, a .env.example or our own development defaults is public.

export const DEV_JWT_SECRET = 'dev-only-insecure-jwt-secret-do-not-use-in-production';

const KNOWN_WEAK_SECRETS = new Set(
  [
    DEV_JWT_SECRET,
    'secret', 'changeme', 'change-me', 'changethis', 'password', 'jwt_secret', 'jwtsecret',
    'your-secret-key', 'your_secret_key', 'supersecret', 'super-secret', 'mysecret', 'my-secret',
    'development', 'dev', 'test', 'testing', 'default', 'example', 'cc-webapp', 'cc_webapp',
    'your-256-bit-secret', 'your-super-secret-jwt-key-change-in-production',
    'please-change-this-secret-in-production-0123456789',
  ].map((s) => s.toLowerCase()),
);

const DEFAULT_DB_PASSWORDS = new Set([
  'postgres', 'password', 'admin', 'root', 'changeme', 'secret', '123456', '12345678', 'example',
  'pass', 'test', 'dev', 'cc', 'ccpass', 'cc_password', 'mysecretpassword', 'postgrespassword',
]);

/** Returns a reason when the JWT secret is weak, or null when it is acceptable. */
export function jwtSecretWeakness(secret: string): string | null {
  if (Buffer.byteLength(secret, 'utf8') < 32) return 'must be at least 32 bytes long';
  const lower = secret.toLowerCase();
  if (KNOWN_WEAK_SECRETS.has(lower)) return 'is a known default or development value';
  if (/^(dev|test|change|example|default|secret|your)[-_]/.test(lower)) return 'looks like a development placeholder';
  if (new Set(secret).size < 8) return 'has too little variety (fewer than 8 distinct characters)';
  return null;
}

/** Returns a reason when the database URL carries a default password, or null. */
export function databasePasswordWeakness(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // shape errors are reported by the schema, not here
  }
  const password = decodeURIComponent(parsed.password);
  const user = decodeURIComponent(parsed.username);
  if (password === '') return 'has no password';
  if (DEFAULT_DB_PASSWORDS.has(password.toLowerCase())) return 'carries a default password';
  if (password === user) return 'uses the user name as the password';
  return null;
}

/** Settings the API refuses to start without when APP_ENV=production. */
export const API_REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKER', 'JWT_SECRET'] as const;
