import { z } from 'zod';
import { duration } from './duration.js';

// environments.<env>.gates: the parameters of the pre-deployment gates (src/gates/). Every key
// is optional; a gate missing what it needs answers "cannot-check", never a silent pass.

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const gateCommand = z.strictObject({ run: z.string().min(1), timeout: duration.default(600_000) });

export const gatesSchema = z.strictObject({
  /** Code freeze: release candidates are tags on this branch. */
  releaseBranch: z.string().min(1).optional(),
  /** Tags that may deploy during a freeze without being its release candidate. */
  hotfixTagPattern: z.string().min(1).refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'must be a regular expression').default('^hotfix[-/]|-hotfix\\.'),
  /** Without an active freeze only hotfix tags pass, unless this is false. */
  freezeRequired: z.boolean().default(true),
  /** Final code review through a hook (otherwise it is the plan's manual sign-off). */
  review: z.strictObject({ hook: gateCommand }).optional(),
  /** CI green: a command run in a worktree of the release commit, or a hook reading CI status. */
  ci: z.union([z.strictObject({ command: gateCommand }), z.strictObject({ hook: gateCommand })]).optional(),
  audit: z.strictObject({
    /** Risk acceptances, relative to the repository: [{id, reason, expires}]. */
    acceptFile: z.string().min(1).default('security/risk-acceptance.yaml'),
    failOn: z.array(z.enum(['critical', 'high', 'moderate', 'low'])).default(['critical', 'high']),
    /** Read this recorded `npm audit --json` output instead of running npm audit. */
    reportFile: z.string().min(1).optional(),
  }).default({ acceptFile: 'security/risk-acceptance.yaml', failOn: ['critical', 'high'] }),
  sast: z.strictObject({
    /** What gets deployed: the API, the web app and the packages they and the router run. */
    paths: z.array(z.string().min(1)).default(['apps/api/src', 'apps/web/src', 'packages/contracts/src', 'packages/pg-migrate/src', 'packages/router/src']),
    /** eslint-plugin-security rules whose findings fail the gate; the others are reported only. */
    failRules: z.array(z.string().min(1)).optional(),
  }).optional(),
  dast: z.strictObject({ hook: gateCommand }).optional(),
  /** API settings besides databaseUrl/redisUrl/kafkaBroker, e.g. JWT_SECRET: ${PROD_JWT_SECRET:-}. */
  settings: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).default({}),
  tls: z.strictObject({
    minDaysValid: z.number().int().min(0).default(14),
    /** Connect to host:port instead of the public URL's (the certificate is still checked for the URL's host). */
    connect: z.string().regex(/^[^:]+:\d+$/, 'must be host:port').optional(),
    /** A CA certificate (PEM) trusted besides the system's. */
    caFile: z.string().min(1).optional(),
  }).default({ minDaysValid: 14 }),
  dns: z.strictObject({ hosts: z.array(z.string().min(1)).default([]) }).default({ hosts: [] }),
  kafkaTopic: z.string().min(1).default('topic_user_actions'),
  connectTimeout: duration.default(5000),
  prometheus: z.strictObject({
    url: z.string().url(),
    /** The scrape job of the app's instances. */
    job: z.string().min(1),
    /** Alert rules that must be loaded; empty means at least one alerting rule. */
    rules: z.array(z.string().min(1)).default([]),
  }).optional(),
  windows: z.array(z.strictObject({
    days: z.array(weekday).min(1),
    start: hhmm,
    end: hhmm,
    timezone: z.string().min(1).refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone, e.g. Europe/Berlin'),
  })).default([]),
});
export type GatesConfig = z.output<typeof gatesSchema>;
export const GATES_DEFAULTS: GatesConfig = gatesSchema.parse({});
