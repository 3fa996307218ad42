import type { SquawkFinding } from './squawk.js';

// What squawk does not flag (checked against squawk 2.x): statements that hold ACCESS
// EXCLUSIVE (or another lock that blocks the app) on an existing table for longer than a
// catalog update. An explicit LOCK TABLE is held until the migration's transaction commits;
// VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED and SET TABLESPACE rewrite the table under ACCESS
// EXCLUSIVE; REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks its readers; TRUNCATE empties
// the table (squawk only bans it WITH CASCADE). Findings have squawk's shape, with rule names
// of our own (ccr-…), so they are classified, acknowledged and reported the same way.

export const LOCK_RULES = {
  'ccr-explicit-lock': 'long-lock',
  'ccr-table-rewrite': 'table-rewrite',
  'ccr-refresh-materialized-view': 'long-lock',
  'ccr-truncate': 'destructive',
} as const;
export type LockRule = keyof typeof LOCK_RULES;

export interface Statement {
  text: string;
  /** 0-based line of the statement's first character. */
  line: number;
}

/**
 * Top-level statements of a SQL file, without comments. Quotes, quoted identifiers and
 * dollar-quoted bodies are kept whole, so a ';' inside them does not split.
 */
export function statements(sql: string): Statement[] {
  const out: Statement[] = [];
  let text = '';
  let line = 0;
  let startLine = -1;
  const push = () => {
    if (text.trim()) out.push({ text: text.trim(), line: startLine });
    text = '';
    startLine = -1;
  };
  for (let i = 0; i < sql.length; ) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    let token = c;
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      const skipped = sql.slice(i, end < 0 ? sql.length : end + 2);
      line += skipped.split('\n').length - 1;
      i += skipped.length;
      text += ' ';
      continue;
    }
    const dollar = /^\$[A-Za-z_]*\$/.exec(rest);
    if (c === "'" || c === '"' || dollar) {
      const close = dollar ? dollar[0] : c;
      const end = sql.indexOf(close, i + close.length);
      token = sql.slice(i, end < 0 ? sql.length : end + close.length);
    } else if (c === ';') {
      push();
      i += 1;
      continue;
    }
    if (startLine < 0 && token.trim()) startLine = line;
    text += token;
    line += token.split('\n').length - 1;
    i += token.length;
  }
  push();
  return out;
}

function finding(file: string, s: Statement, rule: LockRule, message: string, help: string): SquawkFinding {
  return { file, line: s.line, column: 0, level: 'Error', message, help, rule_name: rule };
}

/** Lock and rewrite hazards squawk misses, in one migration file. */
export function lockFindings(file: string, sql: string): SquawkFinding[] {
  const out: SquawkFinding[] = [];
  for (const s of statements(sql)) {
    const t = s.text.replace(/\s+/g, ' ').toUpperCase();
    const lock = /^LOCK (?:TABLE )?(?:ONLY )?(.+?)(?: IN ([A-Z ]+?) MODE)?(?: NOWAIT)?$/.exec(t);
    if (lock) {
      const mode = lock[2] ?? 'ACCESS EXCLUSIVE';
      out.push(finding(file, s, 'ccr-explicit-lock', `LOCK ${lock[1]!.toLowerCase()} IN ${mode} MODE is held until the migration's transaction commits; the running version's queries on it wait that long`, 'Drop the explicit lock, or keep the transaction short and acknowledge it.'));
    } else if (/^VACUUM\b.*\bFULL\b/.test(t) || /^VACUUM \(.*\bFULL\b/.test(t)) {
      out.push(finding(file, s, 'ccr-table-rewrite', 'VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock', 'Use plain VACUUM, or pg_repack outside the deploy.'));
    } else if (/^CLUSTER\b/.test(t)) {
      out.push(finding(file, s, 'ccr-table-rewrite', 'CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock', 'Run it outside the deploy (or use pg_repack).'));
    } else if (/^ALTER TABLE\b.*\bSET (?:LOGGED|UNLOGGED)\b/.test(t)) {
      out.push(finding(file, s, 'ccr-table-rewrite', 'SET LOGGED/UNLOGGED rewrites the table under an ACCESS EXCLUSIVE lock', 'Run it outside the deploy.'));
    } else if (/^ALTER (?:TABLE|INDEX|MATERIALIZED VIEW)\b.*\bSET TABLESPACE\b/.test(t)) {
      out.push(finding(file, s, 'ccr-table-rewrite', 'SET TABLESPACE copies the relation under an ACCESS EXCLUSIVE lock', 'Move it outside the deploy.'));
    } else if (/^REFRESH MATERIALIZED VIEW\b/.test(t) && !/^REFRESH MATERIALIZED VIEW CONCURRENTLY\b/.test(t)) {
      out.push(finding(file, s, 'ccr-refresh-materialized-view', 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every reader of the view while it runs', 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index).'));
    } else if (/^TRUNCATE\b/.test(t) && !/\bCASCADE\b/.test(t)) {
      out.push(finding(file, s, 'ccr-truncate', 'TRUNCATE removes every row, under an ACCESS EXCLUSIVE lock', 'Delete what must go explicitly, or acknowledge it.'));
    }
  }
  return out;
}
