import { relative } from 'node:path';
import { lookupAcceptance, type RiskAcceptance } from './risk-acceptance.js';
import { check, type CheckOutcome } from './types.js';

// SAST: eslint with eslint-plugin-security over the release's source (not the working copy).
// The plugin's rules are heuristics; the ones that point at exploitable code fail the gate
// unless accepted in the risk-acceptance file (id = rule, file = path), the noisy ones
// (object injection, non-literal fs paths...) are counted as evidence only.

export const DEFAULT_FAIL_RULES = [
  'security/detect-eval-with-expression',
  'security/detect-non-literal-require',
  'security/detect-unsafe-regex',
  'security/detect-buffer-noassert',
  'security/detect-new-buffer',
  'security/detect-pseudoRandomBytes',
  'security/detect-disable-mustache-escape',
  'security/detect-no-csrf-before-method-override',
  'security/detect-bidi-characters',
];

export interface SastFinding { rule: string; file: string; line: number; message: string }

export async function runSast(root: string, paths: string[]): Promise<SastFinding[]> {
  // The plugin ships no types; its flat config is { plugins, rules }.
  // eslint and its TypeScript parser take ~0.5 s to load; only this gate needs them
  const [{ ESLint }, { default: tseslint }] = await Promise.all([import('eslint'), import('typescript-eslint')]);
  const pluginName = 'eslint-plugin-security';
  const security = ((await import(pluginName)) as { default: { configs: { recommended: Record<string, unknown> } } }).default;
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    errorOnUnmatchedPattern: false,
    overrideConfig: [
      { ignores: ['**/node_modules/**', '**/dist/**', '**/test/**', '**/*.test.ts'] },
      { files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'], languageOptions: { parser: tseslint.parser as never, sourceType: 'module' } },
      security.configs.recommended as never,
    ],
  });
  const results = await eslint.lintFiles(paths.map((p) => `${p.replace(/\/$/, '')}/**/*.{ts,tsx,mjs}`));
  return results.flatMap((r) =>
    r.messages.map((m) => ({ rule: m.ruleId ?? 'parse-error', file: relative(root, r.filePath), line: m.line, message: m.message })),
  );
}

export function judgeSast(findings: SastFinding[], failRules: string[], acceptances: RiskAcceptance[], now: Date): CheckOutcome {
  const serious = findings.filter((f) => failRules.includes(f.rule) || f.rule === 'parse-error');
  const judged = serious.map((f) => ({ ...f, acceptance: lookupAcceptance(acceptances, [f.rule, f.rule.replace(/^security\//, '')], now, f.file) }));
  const open = judged.filter((f) => f.acceptance.status !== 'accepted');
  const byRule: Record<string, number> = {};
  for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  const evidence = {
    total: findings.length,
    byRule,
    failRules,
    serious: judged.map((f) => ({ rule: f.rule, file: f.file, line: f.line, message: f.message, accepted: f.acceptance.status === 'accepted' ? f.acceptance.by.reason : null, expired: f.acceptance.status === 'expired' })),
  };
  const noise = findings.length - serious.length;
  if (!open.length) return check('sast', 'pass', `${serious.length} serious finding(s)${serious.length ? ' all accepted' : ''}; ${noise} advisory finding(s) reported`, evidence);
  return check('sast', 'fail', `${open.length} serious finding(s) not accepted: ${open.slice(0, 5).map((f) => `${f.rule} at ${f.file}:${f.line}`).join(', ')}`, evidence);
}
