import pg from 'pg';
import type { BackupRecord } from '../backup/index.js';
import { tableCounts } from '../backup/index.js';

// What restoring a backup would throw away: per table, the rows written since the backup.
// Tables with a created_at column count exactly the rows created after the backup; the others
// fall back to the growth of the row count since then (updates are not visible that way,
// which the method field says).

export interface AtRisk {
  table: string;
  rows: number;
  method: 'created_at' | 'count-delta' | 'new-table';
}

export async function dataAtRisk(databaseUrl: string, backup: Pick<BackupRecord, 'createdAt' | 'tableCounts'>): Promise<AtRisk[]> {
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'ccr-at-risk' });
  await c.connect();
  try {
    const counts = await tableCounts(c);
    const withCreated = await c.query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.columns
        WHERE column_name = 'created_at' AND data_type LIKE 'timestamp%' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const dated = new Set(withCreated.rows.map((r) => r.name));
    const out: AtRisk[] = [];
    for (const [table, now] of Object.entries(counts)) {
      if (table.endsWith('.schema_migrations')) continue;
      if (!(table in backup.tableCounts)) {
        if (now > 0) out.push({ table, rows: now, method: 'new-table' });
      } else if (dated.has(table)) {
        const r = await c.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${table} WHERE created_at > $1`, [backup.createdAt]);
        const n = Number(r.rows[0]?.n ?? 0);
        if (n > 0) out.push({ table, rows: n, method: 'created_at' });
      } else {
        const delta = now - (backup.tableCounts[table] ?? 0);
        if (delta > 0) out.push({ table, rows: delta, method: 'count-delta' });
      }
    }
    return out.sort((a, b) => b.rows - a.rows || a.table.localeCompare(b.table));
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function describeAtRisk(items: AtRisk[]): string {
  if (items.length === 0) return 'no rows were written since the backup';
  return items.map((i) => `  ${i.table}: ${i.rows} row(s)${i.method === 'count-delta' ? ' (net growth)' : i.method === 'new-table' ? ' (table created since)' : ''}`).join('\n');
}
