import pg from 'pg';
import { MigrationError } from './errors.js';
import { isIrreversible, loadMigrationFiles, splitStatements, type MigrationFile } from './migration-files.js';

// A small runner rather than a library: we need the sha256 refusal, per-file no-transaction
// mode, DDL timeouts and lock retries, and the maintained runners we looked at
// (node-pg-migrate, postgrator) each miss one of these for plain .up/.down SQL files.

export interface MigratorOptions {
  databaseUrl: string;
  dir: string;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Retries of one migration that failed on lock_timeout, with a short backoff. */
  lockRetries?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface MigrationStatus {
  version: number;
  name: string;
  state: 'applied' | 'pending' | 'changed' | 'missing_file';
  appliedAt?: string;
  durationMs?: number;
  sha256: string;
  noTransaction: boolean;
}

export interface AppliedStep {
  version: number;
  name: string;
  direction: 'up' | 'down';
  durationMs: number;
  attempts: number;
}

const ADVISORY_KEY = 7_243_119; // constant so every runner of this schema shares one lock
const TABLE = 'schema_migrations';

export class Migrator {
  private readonly opts: Required<Omit<MigratorOptions, 'log'>> & Pick<MigratorOptions, 'log'>;

  constructor(opts: MigratorOptions) {
    this.opts = { lockTimeoutMs: 5000, statementTimeoutMs: 600_000, lockRetries: 0, ...opts };
  }

  files(): MigrationFile[] {
    return loadMigrationFiles(this.opts.dir);
  }

  async status(): Promise<MigrationStatus[]> {
    return this.withClient(async (c) => this.computeStatus(c, this.files()));
  }

  /** Highest applied version, 0 for an empty database. */
  async schemaVersion(): Promise<number> {
    return this.withClient(async (c) => {
      await this.ensureTable(c);
      const r = await c.query<{ v: number | null }>(`SELECT max(version)::int AS v FROM ${TABLE}`);
      return r.rows[0]?.v ?? 0;
    });
  }

  /**
   * True when every file is applied, unchanged, and nothing else is recorded; false otherwise,
   * including when the database or the table does not exist yet. Read-only and lock-free, on a
   * connection the caller already has, so a CLI can skip up() (a new connection, an advisory
   * lock) on the common path where there is nothing to do.
   */
  async isCurrent(db: Pick<pg.Pool, 'query'>): Promise<boolean> {
    const files = this.files();
    let rows: Array<{ version: number; sha256: string }>;
    try {
      rows = (await db.query<{ version: number; sha256: string }>(`SELECT version, sha256 FROM ${TABLE}`)).rows;
    } catch {
      return false;
    }
    const applied = new Map(rows.map((r) => [Number(r.version), r.sha256]));
    return rows.length === files.length && files.every((f) => applied.get(f.version) === f.sha256);
  }

  /** Applies pending migrations up to `target` (all when omitted). */
  async up(target?: number): Promise<AppliedStep[]> {
    return this.withLock(async (c) => {
      const files = this.files();
      const status = await this.computeStatus(c, files);
      this.refuseDrift(status);
      const pending = files.filter(
        (f) => status.find((s) => s.version === f.version)?.state === 'pending' && (target === undefined || f.version <= target),
      );
      const applied: AppliedStep[] = [];
      for (const file of pending) applied.push(await this.apply(c, file, 'up'));
      return applied;
    });
  }

  /** Reverts the last `count` applied migrations, newest first. */
  async down(count: number): Promise<AppliedStep[]> {
    if (!Number.isInteger(count) || count < 1) throw new MigrationError('migration_failed', 'down needs a positive count');
    return this.withLock(async (c) => {
      const files = this.files();
      const status = await this.computeStatus(c, files);
      this.refuseDrift(status);
      const applied = status.filter((s) => s.state === 'applied').sort((a, b) => b.version - a.version).slice(0, count);
      const steps: AppliedStep[] = [];
      for (const s of applied) {
        const file = files.find((f) => f.version === s.version)!;
        if (isIrreversible(file.downSql)) {
          throw new MigrationError('migration_irreversible', `${label(file)} is marked irreversible; restore a backup instead`);
        }
        steps.push(await this.apply(c, file, 'down'));
      }
      return steps;
    });
  }

  private refuseDrift(status: MigrationStatus[]): void {
    const changed = status.filter((s) => s.state === 'changed');
    if (changed.length) {
      throw new MigrationError(
        'migration_changed',
        `applied migration file(s) changed since they ran: ${changed.map(label).join(', ')}. ` +
          'Never edit an applied migration; add a new one.',
      );
    }
    const missing = status.filter((s) => s.state === 'missing_file');
    if (missing.length) {
      throw new MigrationError(
        'migration_missing',
        `database has migration(s) with no file here: ${missing.map(label).join(', ')}. Is this an older release?`,
      );
    }
  }

  private async apply(c: pg.Client, file: MigrationFile, direction: 'up' | 'down'): Promise<AppliedStep> {
    const sql = direction === 'up' ? file.upSql : file.downSql;
    const noTx = direction === 'up' ? file.noTransaction : file.downNoTransaction;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const started = performance.now();
      try {
        if (noTx) {
          for (const stmt of splitStatements(sql)) await c.query(stmt);
          await this.record(c, file, direction, performance.now() - started);
        } else {
          await c.query('BEGIN');
          await c.query(sql);
          await this.record(c, file, direction, performance.now() - started);
          await c.query('COMMIT');
        }
        const durationMs = Math.round(performance.now() - started);
        this.opts.log?.(`migrated ${direction} ${label(file)}`, { durationMs, attempts });
        return { version: file.version, name: file.name, direction, durationMs, attempts };
      } catch (err) {
        if (!noTx) await c.query('ROLLBACK').catch(() => undefined);
        const code = (err as { code?: string }).code;
        if (code === '55P03' && attempts <= this.opts.lockRetries) {
          this.opts.log?.(`lock_timeout on ${label(file)}, retrying`, { attempts });
          await new Promise((r) => setTimeout(r, 200 * attempts));
          continue;
        }
        throw new MigrationError(
          code === '55P03' ? 'migration_lock_timeout' : 'migration_failed',
          `${direction} ${label(file)} failed${code === '55P03' ? ` on lock_timeout (${this.opts.lockTimeoutMs} ms) after ${attempts} attempt(s)` : ''}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }

  private async record(c: pg.Client, file: MigrationFile, direction: 'up' | 'down', ms: number): Promise<void> {
    if (direction === 'up') {
      await c.query(`INSERT INTO ${TABLE} (version, name, sha256, duration_ms) VALUES ($1, $2, $3, $4)`, [
        file.version, file.name, file.sha256, Math.round(ms),
      ]);
    } else {
      await c.query(`DELETE FROM ${TABLE} WHERE version = $1`, [file.version]);
    }
  }

  private async computeStatus(c: pg.Client, files: MigrationFile[]): Promise<MigrationStatus[]> {
    await this.ensureTable(c);
    const r = await c.query<{ version: number; name: string; sha256: string; applied_at: Date; duration_ms: number }>(
      `SELECT version, name, sha256, applied_at, duration_ms FROM ${TABLE} ORDER BY version`,
    );
    const applied = new Map(r.rows.map((row) => [row.version, row]));
    const out: MigrationStatus[] = files.map((f) => {
      const row = applied.get(f.version);
      return {
        version: f.version,
        name: f.name,
        sha256: f.sha256,
        noTransaction: f.noTransaction,
        state: !row ? 'pending' : row.sha256 === f.sha256 ? 'applied' : 'changed',
        ...(row ? { appliedAt: row.applied_at.toISOString(), durationMs: row.duration_ms } : {}),
      };
    });
    for (const row of r.rows) {
      if (!files.some((f) => f.version === row.version)) {
        out.push({ version: row.version, name: row.name, sha256: row.sha256, noTransaction: false, state: 'missing_file', appliedAt: row.applied_at.toISOString() });
      }
    }
    return out.sort((a, b) => a.version - b.version);
  }

  private async ensureTable(c: pg.Client): Promise<void> {
    await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      version integer PRIMARY KEY,
      name text NOT NULL,
      sha256 text NOT NULL,
      duration_ms integer NOT NULL DEFAULT 0,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  private async withLock<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return this.withClient(async (c) => {
      // A session lock (not a transaction lock) because no-transaction files span statements.
      await c.query('SELECT pg_advisory_lock($1)', [ADVISORY_KEY]);
      try {
        await c.query(`SET lock_timeout = ${Number(this.opts.lockTimeoutMs)}`);
        await c.query(`SET statement_timeout = ${Number(this.opts.statementTimeoutMs)}`);
        return await fn(c);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [ADVISORY_KEY]).catch(() => undefined);
      }
    });
  }

  private async withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'cc-migrate' });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

function label(f: { version: number; name: string }): string {
  return `${String(f.version).padStart(4, '0')}_${f.name}`;
}
