import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CcrError } from '../errors.js';

// security/risk-acceptance.yaml: findings the team accepted on purpose, each with a reason and
// an expiry date, after which the finding fails the gate again. The same file serves the
// dependency audit (id = advisory GHSA id or package name) and SAST (id = rule, file = path).

const entrySchema = z.strictObject({
  id: z.string().min(1),
  /** SAST only: the file (repository-relative) the accepted finding is in. */
  file: z.string().min(1).optional(),
  reason: z.string().min(10, 'say why the risk is accepted (at least 10 characters)'),
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  acceptedBy: z.string().min(1).optional(),
});
const fileSchema = z.strictObject({ acceptances: z.array(entrySchema).default([]) });
export type RiskAcceptance = z.output<typeof entrySchema>;

export function loadRiskAcceptances(file: string): RiskAcceptance[] {
  if (!existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new CcrError('config_invalid', `${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CcrError('config_invalid', `${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.acceptances;
}

/** An acceptance is valid through the end of its expiry day (UTC). */
export const isExpired = (a: RiskAcceptance, now: Date) => now.getTime() >= Date.parse(`${a.expires}T00:00:00Z`) + 86_400_000;

export type AcceptanceLookup = { status: 'accepted'; by: RiskAcceptance } | { status: 'expired'; by: RiskAcceptance } | { status: 'none' };

export function lookupAcceptance(list: RiskAcceptance[], ids: string[], now: Date, file?: string): AcceptanceLookup {
  const matches = list.filter((a) => ids.includes(a.id) && (a.file === undefined || a.file === file));
  const valid = matches.find((a) => !isExpired(a, now));
  if (valid) return { status: 'accepted', by: valid };
  return matches[0] ? { status: 'expired', by: matches[0] } : { status: 'none' };
}
