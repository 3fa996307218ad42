import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { duration } from './duration.js';

// rollout.yaml `secrets:` (issue 19): where each secret is read from, never its value. A secret
// is read at run time by its provider (src/secrets/), kept in memory only, and referenced from
// an environment's settings as "secret:<name>". No vendor client is built in: `command` runs
// the vendor's own CLI (vault, aws, op, pass), as Kamal's adapters do.

export const secretName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes');

/** How an External Secrets Operator ExternalSecret finds this secret in its store (Kubernetes only). */
const remoteRef = z.strictObject({ key: z.string().min(1), property: z.string().min(1).optional() });

const common = {
  description: z.string().max(300).optional(),
  remoteRef: remoteRef.optional(),
};

const envProvider = z.strictObject({
  provider: z.literal('env'),
  variable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  ...common,
});

const fileProvider = z.strictObject({
  provider: z.literal('file'),
  /** Must be owner-only (0600 or 0400): a group- or world-readable file is refused when read. */
  path: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
  ...common,
});

const commandProvider = z.strictObject({
  provider: z.literal('command'),
  /** Program and arguments, e.g. [pass, show, cc/prod/jwt]; a shell only as [sh, -c, "..."]. */
  argv: z.array(z.string().min(1)).min(1).refine((a) => !/\s/.test(a[0] ?? ''), 'is a list of program and arguments, not a shell string: [vault, kv, get, -field=jwt, secret/cc] (a shell is [sh, -c, "..."])'),
  timeout: duration.default(10_000),
  ...common,
});

export const secretSchema = z.discriminatedUnion('provider', [envProvider, fileProvider, commandProvider]);
export type SecretConfig = z.output<typeof secretSchema>;

export const secretsSchema = z.record(secretName, secretSchema).default({});

/** A setting value "secret:<name>" stands for the secret's value. */
export const SECRET_REF = /^secret:([a-z0-9][a-z0-9-]{0,62})$/;
export function secretRefOf(value: string): string | null {
  return SECRET_REF.exec(value)?.[1] ?? null;
}
