-- Where the WAL stood when each release began (issue 16): the backup.create step records it in
-- the same snapshot as the release's pg_dump backup, so `ccr pitr restore --to release:<id>`
-- is one command: recover to just before this position.
CREATE TABLE release_wal_marks (
  release_id         text PRIMARY KEY REFERENCES releases (id),
  env                text NOT NULL,
  -- pg_current_wal_insert_lsn(): every commit before it is in the dump's snapshot
  lsn                pg_lsn NOT NULL,
  wal_file           text NOT NULL,
  timeline           integer NOT NULL,
  -- clock_timestamp() on the database server at that moment
  server_time        timestamptz NOT NULL,
  -- pg_control_system(): restoring the mark into another cluster's stanza is refused; null when the role may not read it
  system_identifier  text,
  -- the release's pg_dump backup, taken in the same snapshot: its row counts check the restore
  backup_id          text REFERENCES backups (id),
  -- no WAL was written and no transaction was running while the snapshot was taken, so the
  -- restore at lsn holds exactly the dump's rows
  exact              boolean NOT NULL,
  recorded_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_wal_marks_env_idx ON release_wal_marks (env, server_time DESC);
