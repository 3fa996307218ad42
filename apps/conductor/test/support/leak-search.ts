import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

// Where a planted secret could have leaked to: every row of every table of a store, and every
// file under a folder. Tests of secrets assert both come back empty.

/** Rows of every table of the store that mention `value` anywhere, as "table: row". */
export async function storeRowsWith(store: Pick<pg.Pool, 'query'>, value: string): Promise<string[]> {
  const tables = await store.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  const hits: string[] = [];
  for (const { tablename } of tables.rows as Array<{ tablename: string }>) {
    const r = await store.query(`SELECT t::text AS row FROM "${tablename}" t WHERE t::text LIKE $1`, [`%${value}%`]);
    hits.push(...r.rows.map((x: { row: string }) => `${tablename}: ${x.row}`));
  }
  return hits;
}

/** Files under `root` whose bytes contain `value`. */
export function filesWith(root: string, value: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .map((n) => join(root, n))
    .filter((p) => {
      try {
        return statSync(p).isFile() && readFileSync(p).includes(value);
      } catch {
        return false; // a socket or a file removed meanwhile (gpg-agent's)
      }
    });
}
