import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationError } from './errors.js';

// Migrations are plain SQL files so they can be linted (squawk) and reviewed:
//   NNNN_name.up.sql    applied by `up`
//   NNNN_name.down.sql  applied by `down`, required for every up file
// A file whose first lines contain `-- cc:no-transaction` runs outside a transaction, one
// statement at a time, which CREATE INDEX CONCURRENTLY needs. Its statements must each end
// with `;` at the end of a line.

export interface MigrationFile {
  version: number;
  name: string;
  upSql: string;
  downSql: string;
  /** sha256 of the up file: an applied migration whose file changes is refused. */
  sha256: string;
  noTransaction: boolean;
  downNoTransaction: boolean;
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isNoTransaction(sql: string): boolean {
  return /^\s*--\s*cc:no-transaction\b/m.test(sql.split('\n').slice(0, 5).join('\n'));
}

export function loadMigrationFiles(dir: string): MigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new MigrationError('migration_missing', `cannot read migrations folder ${dir}`, { cause: err });
  }
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of names) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_RE.exec(file);
    if (!m) {
      throw new MigrationError('migration_missing', `migration file ${file} does not match NNNN_name.(up|down).sql`);
    }
    const version = Number(m[1]);
    const entry = byVersion.get(version) ?? { name: m[2]! };
    if (entry.name !== m[2]) {
      throw new MigrationError('migration_missing', `migration ${m[1]} has two names: ${entry.name} and ${m[2]}`);
    }
    entry[m[3] as 'up' | 'down'] = readFileSync(join(dir, file), 'utf8');
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, e]) => {
      const label = `${String(version).padStart(4, '0')}_${e.name}`;
      if (e.up === undefined) throw new MigrationError('migration_missing', `${label} has a .down.sql but no .up.sql`);
      if (e.down === undefined) {
        throw new MigrationError('migration_missing', `${label} has no .down.sql: every migration must be reversible or say why in its down file`);
      }
      return {
        version,
        name: e.name,
        upSql: e.up,
        downSql: e.down,
        sha256: sha256(e.up),
        noTransaction: isNoTransaction(e.up),
        downNoTransaction: isNoTransaction(e.down),
      };
    });
}

/** Splits a no-transaction file into statements: each ends with `;` at the end of a line. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** A down file that only says `-- cc:irreversible` cannot be applied. */
export function isIrreversible(downSql: string): boolean {
  return /^\s*--\s*cc:irreversible\b/m.test(downSql);
}
