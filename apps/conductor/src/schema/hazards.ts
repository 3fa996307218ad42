import { LOCK_RULES } from './lock-hazards.js';

// squawk's rule names (and our own ccr-… rules for what squawk misses, lock-hazards.ts) mapped
// to the hazard classes a rollout cares about. A rule not listed here is advice (style,
// robustness): reported, never failing the gate.

export const HAZARD_CLASSES = ['destructive', 'long-lock', 'table-rewrite', 'non-concurrent-index', 'missing-timeout'] as const;
export type HazardClass = (typeof HAZARD_CLASSES)[number];

export const RULE_HAZARDS: Readonly<Record<string, HazardClass>> = {
  // Data goes away, or the version still running (canary, blue/green, rollback) breaks.
  'ban-drop-column': 'destructive',
  'ban-drop-table': 'destructive',
  'ban-drop-database': 'destructive',
  'ban-truncate-cascade': 'destructive',
  'renaming-column': 'destructive',
  'renaming-table': 'destructive',
  // NOT NULL without a default: the previous version's INSERTs fail (and a non-empty table refuses it).
  'adding-required-field': 'destructive',
  'ban-drop-not-null': 'destructive',
  // ACCESS EXCLUSIVE / SHARE locks held while the table is scanned.
  'adding-not-nullable-field': 'long-lock',
  'adding-foreign-key-constraint': 'long-lock',
  'adding-primary-key-constraint': 'long-lock',
  'constraint-missing-not-valid': 'long-lock',
  'disallowed-unique-constraint': 'long-lock',
  'ban-alter-domain-with-add-constraint': 'long-lock',
  'ban-create-domain-with-constraint': 'long-lock',
  // The whole table is rewritten under an ACCESS EXCLUSIVE lock.
  'adding-field-with-default': 'table-rewrite',
  'changing-column-type': 'table-rewrite',
  'adding-serial-primary-key-field': 'table-rewrite',
  // Writes blocked for the whole build; or CONCURRENTLY inside a transaction, which fails.
  'require-concurrent-index-creation': 'non-concurrent-index',
  'require-concurrent-index-deletion': 'non-concurrent-index',
  'ban-concurrent-index-creation-in-transaction': 'non-concurrent-index',
  // REINDEX without CONCURRENTLY blocks writes (and reads using the index) while it rebuilds.
  'require-concurrent-reindex': 'non-concurrent-index',
  // Older squawk has one rule, newer two.
  'require-timeout-settings': 'missing-timeout',
  'require-lock-timeout': 'missing-timeout',
  'require-statement-timeout': 'missing-timeout',
  ...LOCK_RULES,
};

/** The timeout rules our runner satisfies itself: it SETs lock_timeout/statement_timeout per session. */
export const RUNNER_TIMEOUT_RULES: Readonly<Record<string, 'lock' | 'statement' | 'both'>> = {
  'require-timeout-settings': 'both',
  'require-lock-timeout': 'lock',
  'require-statement-timeout': 'statement',
};

export function hazardOf(rule: string): HazardClass | null {
  return RULE_HAZARDS[rule] ?? null;
}
