// Secrets from a secrets manager (rollout.yaml `secrets:`): env, file or a vendor CLI.
export { resolveEnvironmentSecrets, resolveSecret, secretSource, type ResolvedSecret, type SecretOutcome } from './resolve.js';
