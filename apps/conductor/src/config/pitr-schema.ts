import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { duration } from './duration.js';

// environments.<env>.pitr: point-in-time recovery with pgBackRest (src/pitr/). Present only for
// a PostgreSQL server the user runs on this host (pgBackRest's archive-push runs inside it); the
// embedded default keeps pg_dump backups. Paths are absolute: they are written into the server's
// archive_command and into pgBackRest's own configuration, which run from other directories.

// The paths go into a shell command line (archive_command): no spaces, quotes or $.
const absolute = z.string().min(1).refine((p) => isAbsolute(p), 'must be an absolute path')
  .refine((p) => /^[^\s'"`$\\;|&<>]+$/.test(p), 'must not contain spaces, quotes or shell characters');

export const pitrSchema = z.strictObject({
  /** pgBackRest's name for this cluster's backups and archive. */
  stanza: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'must be letters, digits, _ and -'),
  /** The repository (repo1-path): backups and archived WAL. Created owner-only (0700). */
  repoPath: absolute,
  /** The live cluster's data directory (pg1-path); the server must report the same. */
  pgData: absolute,
  /** Folder of pg_ctl; default /usr/lib/postgresql/<server major>/bin, else PATH. */
  pgBin: absolute.optional(),
  /** pgBackRest's configuration file; default <repoPath>/pgbackrest.conf (0600). */
  configFile: absolute.optional(),
  /** Unix socket folder pgBackRest connects through; default the server's unix_socket_directories. */
  pgSocketPath: absolute.optional(),
  /** Database role pgBackRest connects as (a superuser); default postgres. */
  pgUser: z.string().min(1).max(63).optional(),
  /** Full backups kept (repo1-retention-full); archived WAL older than the oldest is expired. */
  retentionFull: z.number().int().min(1).max(100).default(2),
  /** archive_timeout set on the server: a WAL segment is archived at least this often while it is written to. */
  archiveTimeout: duration.default(60_000),
  /** The infrastructure gate fails when the newest archived WAL is older than this while WAL waits to be archived. */
  maxArchiveAge: duration.default(600_000),
  /** pgBackRest process-max: parallel compression and transfer. */
  processMax: z.number().int().min(1).max(32).default(2),
  compressType: z.enum(['none', 'gz', 'lz4', 'zst', 'bz2']).default('lz4'),
});
export type PitrConfig = z.output<typeof pitrSchema>;
