import type { RolloutConfig } from '../../config/index.js';
import { secretRefOf } from '../../config/index.js';

// The pods read their secrets from the Secret cc-api-secrets (deploy/k8s/base). With
// `target.secrets.source: external-secret`, ccr generates an ExternalSecret for the External
// Secrets Operator that creates and refreshes that Secret from a store (Vault, AWS Secrets
// Manager, 1Password...): one key per "secret:<name>" setting, found by the secret's remoteRef.
// With `existing` (the default) the Secret is made outside ccr and nothing is generated.

export const APP_SECRET_NAME = 'cc-api-secrets';
const ESO = 'external-secrets.io/v1beta1';

/** The ExternalSecret of an environment, or null when its Secret is an existing one. */
export function generateExternalSecret(config: RolloutConfig, envName: string): Record<string, unknown> | null {
  const env = config.environments[envName];
  if (env?.target.type !== 'kubernetes' || env.target.secrets.source !== 'external-secret') return null;
  const { store, refreshInterval } = env.target.secrets;
  const data = Object.entries(env.gates.settings).flatMap(([key, value]) => {
    const name = secretRefOf(value);
    const ref = name ? config.secrets[name]?.remoteRef : undefined;
    // a missing remoteRef is refused by the meaning checks (secrets-declared)
    return ref ? [{ secretKey: key, remoteRef: { key: ref.key, ...(ref.property ? { property: ref.property } : {}) } }] : [];
  }).sort((a, b) => a.secretKey.localeCompare(b.secretKey));
  return {
    apiVersion: ESO,
    kind: 'ExternalSecret',
    metadata: { name: APP_SECRET_NAME, labels: { 'app.kubernetes.io/part-of': 'cc-webapp', 'app.kubernetes.io/managed-by': 'ccr' } },
    spec: {
      refreshInterval,
      secretStoreRef: { name: store.name, kind: store.kind },
      // Owner: the Secret goes when the ExternalSecret goes; Merge would leave stale keys behind
      target: { name: APP_SECRET_NAME, creationPolicy: 'Owner' },
      data,
    },
  };
}
