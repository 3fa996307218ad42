import type pg from 'pg';

// The table list, exact row counts and schema version of a database. Called inside the
// REPEATABLE READ transaction whose snapshot pg_dump uses, so the counts are of the very data
// in the dump, and again on the restored copy.

type Queryable = Pick<pg.Client, 'query'>;

export async function listTables(db: Queryable): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return r.rows.map((row) => row.name);
}

/** table -> exact row count. Names come from the catalog, already quoted by quote_ident. */
export async function tableCounts(db: Queryable): Promise<Record<string, number>> {
  const tables = await listTables(db);
  if (tables.length === 0) return {};
  // One statement: one round trip, and every count sees the same snapshot.
  const sql = tables.map((t, i) => `SELECT ${i} AS i, count(*)::bigint AS n FROM ${t}`).join(' UNION ALL ');
  const r = await db.query<{ i: number; n: string | number }>(sql);
  const out: Record<string, number> = {};
  for (const row of r.rows) out[tables[row.i]!] = Number(row.n);
  return out;
}

/** max(version) of schema_migrations, 0 when the database has none. */
export async function schemaVersion(db: Queryable): Promise<number> {
  const t = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'schema_migrations' AND n.nspname = current_schema()`);
  if (!t.rowCount) return 0;
  const r = await db.query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}
