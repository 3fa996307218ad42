-- Backups taken by `ccr backup create` and the backup.create step, with what verification
-- found. A backup whose verification failed never satisfies the backup.verify gate.
CREATE TABLE backups (
  id                  text PRIMARY KEY,
  env                 text NOT NULL,
  release_id          text,
  app_version         text,
  database            text NOT NULL,
  server_version      text NOT NULL,
  pg_dump_version     text NOT NULL,
  format              text NOT NULL DEFAULT 'custom',
  path                text NOT NULL,
  size_bytes          bigint NOT NULL,
  sha256              text NOT NULL,
  duration_ms         integer NOT NULL,
  schema_version      integer NOT NULL,
  -- table -> row count, counted in the snapshot pg_dump used
  table_counts        jsonb NOT NULL,
  status              text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'verified', 'verify_failed', 'pruned')),
  verified_at         timestamptz,
  verify_duration_ms  integer,
  verify_result       jsonb,
  pruned_at           timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backups_env_created_idx ON backups (env, created_at DESC);
